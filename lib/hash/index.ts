/**
 * realize's content hashing: a blob's hash is the BLAKE2b-256 Merkle root of its content
 * over LEAF_SIZE leaves, and any leaf-aligned range verifies alone against it.
 */

export { hashBytes } from "./hash-bytes.ts";
export { type FileHash, type HashFileOptions, hashFile } from "./hash-file.ts";
export { LEAF_SIZE, leafCount, merkleRoot } from "./merkle.ts";
export { MerkleHasher } from "./merkle-hasher.ts";
export { MerkleTree } from "./merkle-tree.ts";
export { type RangeProof, rangeProof, verifyRange } from "./range-proof.ts";
