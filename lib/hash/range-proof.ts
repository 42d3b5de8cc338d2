import type { Hash } from "../model/hash.ts";
import { DIGEST_BYTES } from "./blake2b.ts";
import { hashLeaf, LEAF_SIZE, leafCount, parentLevel, sealRoot } from "./merkle.ts";
import { MerkleTree } from "./merkle-tree.ts";

/**
 * What a receiver needs, besides the data, to check a leaf-aligned range of a file against
 * the file's hash alone. Plain data (an array of 32-byte arrays) so it can cross the wire
 * as CBOR: the sibling hashes outside the range, from the bottom level up, and within a
 * level the left one before the right one.
 */
export interface RangeProof {
  nodes: Uint8Array[];
}

/**
 * The proof for leaves `[firstLeaf, endLeaf)` of the file with these leaf hashes. Costs
 * one pass over the whole tree; keep a MerkleTree to answer many ranges of one file.
 */
export function rangeProof(
  leaves: readonly Hash[],
  firstLeaf: number,
  endLeaf: number,
): RangeProof {
  return new MerkleTree(leaves).rangeProof(firstLeaf, endLeaf);
}

/**
 * True only when `data` is exactly the bytes at `offset` of the file of `fileSize` bytes
 * whose hash is `root`, as shown by `proof`. The range must be leaf-aligned: `offset` a
 * multiple of LEAF_SIZE, and `data` a whole number of leaves unless it ends at the end of
 * the file. Never throws: anything malformed is false.
 */
export function verifyRange(
  root: Hash,
  fileSize: number,
  offset: number,
  data: Uint8Array,
  proof: RangeProof,
): boolean {
  const span = leafSpan(fileSize, offset, data.length);
  if (span === undefined || !wellFormed(proof)) return false;
  let [first, end] = span;
  let level: Uint8Array[] = [];
  for (let at = 0; at < data.length || level.length === 0; at += LEAF_SIZE) {
    level.push(hashLeaf(data.subarray(at, at + LEAF_SIZE)));
  }
  let used = 0;
  for (let width = leafCount(fileSize); width > 1; width = Math.ceil(width / 2)) {
    if (first % 2 === 1) {
      const left = proof.nodes[used++];
      if (left === undefined) return false;
      level.unshift(left);
      first -= 1;
    }
    if (end % 2 === 1 && end < width) {
      const right = proof.nodes[used++];
      if (right === undefined) return false;
      level.push(right);
      end += 1;
    }
    level = parentLevel(level);
    first /= 2;
    end = Math.ceil(end / 2);
  }
  if (used !== proof.nodes.length || level.length !== 1) return false;
  return equalBytes(sealRoot(level[0]!, fileSize), root.bytes);
}

/** The leaves `[first, end)` that `length` bytes at `offset` fill exactly, if they do. */
function leafSpan(fileSize: number, offset: number, length: number): [number, number] | undefined {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) return undefined;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % LEAF_SIZE !== 0) return undefined;
  const end = offset + length;
  if (end > fileSize) return undefined;
  if (fileSize === 0) return offset === 0 ? [0, 1] : undefined;
  if (length === 0) return undefined;
  if (end === fileSize) return [offset / LEAF_SIZE, leafCount(fileSize)];
  return length % LEAF_SIZE === 0 ? [offset / LEAF_SIZE, end / LEAF_SIZE] : undefined;
}

function wellFormed(proof: RangeProof): boolean {
  return (
    typeof proof === "object" &&
    proof !== null &&
    Array.isArray(proof.nodes) &&
    proof.nodes.every((node) => node instanceof Uint8Array && node.length === DIGEST_BYTES)
  );
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
