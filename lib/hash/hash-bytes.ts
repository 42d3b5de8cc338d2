import type { Hash } from "../model/hash.ts";
import { MerkleHasher } from "./merkle-hasher.ts";

/** The hash of content held in memory; equal to hashFile's for a file with these bytes. */
export function hashBytes(data: Uint8Array): Hash {
  return new MerkleHasher().update(data).digest().hash;
}
