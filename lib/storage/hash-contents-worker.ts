/**
 * Worker thread of hashContents: hashes each of several contents sent end to end and
 * answers, per content, its Merkle root followed by its leaf hashes (32 bytes each).
 */
import { MerkleHasher } from "../hash/merkle-hasher.ts";

/** Contents packed end to end in `data`, `lengths[i]` bytes each. */
export interface ContentsRequest {
  id: number;
  data: Uint8Array;
  lengths: number[];
}

/** Per content: its root then its leaves, packed in `hashes`; `leafCounts[i]` leaves each. */
export interface ContentsReply {
  id: number;
  hashes: Uint8Array;
  leafCounts: number[];
}

declare const self: Worker;

self.onmessage = (event: MessageEvent<ContentsRequest>) => {
  const { id, data, lengths } = event.data;
  const digests = [];
  let at = 0;
  let words = 0;
  for (const length of lengths) {
    const digest = new MerkleHasher().update(data.subarray(at, at + length)).digest();
    at += length;
    words += 1 + digest.leaves.length;
    digests.push(digest);
  }
  const hashes = new Uint8Array(words * 32);
  let out = 0;
  for (const { hash, leaves } of digests) {
    hashes.set(hash.bytes, out);
    out += 32;
    for (const leaf of leaves) {
      hashes.set(leaf.bytes, out);
      out += 32;
    }
  }
  const leafCounts = digests.map((d) => d.leaves.length);
  self.postMessage({ id, hashes, leafCounts } satisfies ContentsReply, [hashes.buffer]);
};
