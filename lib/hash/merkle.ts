import { Hash } from "../model/hash.ts";
import { Blake2b } from "./blake2b.ts";

/*
 * A file's hash, the identity of a blob, with H = BLAKE2b-256:
 *   leaf  = H(0x00 ‖ up to LEAF_SIZE bytes of the file)   the empty file is one empty leaf
 *   node  = H(0x01 ‖ left ‖ right)                         the shape of RFC 6962 (parentLevel)
 *   hash  = H(0x02 ‖ size as u64 little-endian ‖ top)     top: the tree's top node
 * Prefix bytes, not BLAKE2 parameters, keep leaves, nodes and roots apart, so any plain
 * BLAKE2b-256 (b2sum -l 256, Python's hashlib, Bun.CryptoHasher) recomputes the same hashes.
 */

/**
 * Bytes per Merkle leaf: 64 KiB. The last leaf of a file may be shorter.
 *
 * Why 64 KiB (measured with bench/hash/leaf-size.ts and run.ts, see bench/hash/RESULTS.md):
 * - Per-call overhead: every leaf costs about 6 µs beyond the hashing itself (creating
 *   the native hasher, the prefix, the digest, and one inner node), against about 78 µs to
 *   hash 64 KiB. Merkle over raw BLAKE2b-256, in memory: 16 KiB 0.78, 32 KiB 0.87,
 *   64 KiB 0.92, 128 KiB 0.97, 256 KiB 0.97. 64 KiB is the smallest leaf that keeps
 *   hashFile within 10% of the raw call.
 * - Verification granularity: an on-demand read of an unreal file fetches and verifies
 *   whole leaves, so a small random read (a database page, a tar header) costs at least one
 *   leaf from a peer: smaller is better here, and 128 KiB would double it. FUSE reads come
 *   in at most 128 KiB, so a read touches at most three 64 KiB leaves.
 * - Proof size: one 32-byte hash per tree level for a single leaf, at most two per level
 *   for a range: for a 1 GiB file (14 levels) at most 896 bytes, 1.4% of one leaf.
 * - Index size: the leaf hashes of a file are 1/2048 of its size.
 */
export const LEAF_SIZE = 64 * 1024;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = 0x01;
const ROOT_PREFIX = 0x02;

/**
 * Number of leaves of a file of `size` bytes: ⌈size / LEAF_SIZE⌉, and 1 for the empty file,
 * which is one empty leaf.
 */
export function leafCount(size: number): number {
  return Math.max(1, Math.ceil(size / LEAF_SIZE));
}

/**
 * Starts the hash of one leaf: BLAKE2b-256 of the byte 0x00 followed by the leaf's bytes.
 * The prefix keeps a leaf from ever hashing like an inner node (which starts with 0x01).
 */
export function startLeaf(): Blake2b {
  return new Blake2b().update(LEAF_PREFIX);
}

/** The hash of one leaf's bytes (see startLeaf). */
export function hashLeaf(data: Uint8Array): Uint8Array {
  return startLeaf().update(data).digest();
}

const nodeInput = new Uint8Array(65);
nodeInput[0] = NODE_PREFIX;

/** The hash of an inner node: BLAKE2b-256 of 0x01 ‖ left ‖ right. */
export function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return new Blake2b().update(nodeInput).digest();
}

/**
 * The nodes of the next level up: pairs are hashed together, and a last node without a
 * partner is promoted unchanged. Building levels this way gives exactly the tree shape of
 * RFC 6962 (the left subtree of any node holds the largest power of two of its leaves
 * that is smaller than its leaf count), for any number of leaves.
 */
export function parentLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const up: Uint8Array[] = [];
  for (let i = 0; i + 1 < level.length; i += 2) up.push(hashNode(level[i]!, level[i + 1]!));
  if (level.length % 2 === 1) up.push(level[level.length - 1]!);
  return up;
}

/** The top node of the tree over leaf hashes given as raw bytes (at least one leaf). */
export function treeTop(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw new RangeError("a Merkle tree has at least one leaf");
  let level: readonly Uint8Array[] = leaves;
  while (level.length > 1) level = parentLevel(level);
  return level[0]!;
}

const rootInput = new Uint8Array(41);
rootInput[0] = ROOT_PREFIX;
const rootSize = new DataView(rootInput.buffer, 1, 8);

/**
 * A file's hash from the top node of its tree and its size in bytes:
 * BLAKE2b-256 of 0x02 ‖ size as 64-bit little-endian ‖ top. Binding the size means a
 * range can never verify against a root under a size other than the file's own.
 */
export function sealRoot(top: Uint8Array, size: number): Uint8Array {
  rootSize.setBigUint64(0, BigInt(size), true);
  rootInput.set(top, 9);
  return new Blake2b().update(rootInput).digest();
}

/**
 * A file's hash from its leaf hashes and its size: the sealed (see sealRoot) top of the
 * tree whose shape parentLevel describes. The empty file has one empty leaf. Throws
 * RangeError unless there are exactly leafCount(size) leaves.
 */
export function merkleRoot(leaves: readonly Hash[], size: number): Hash {
  checkSize(size);
  if (leaves.length !== leafCount(size)) {
    throw new RangeError(
      `a file of ${size} bytes has ${leafCount(size)} leaves, not ${leaves.length}`,
    );
  }
  return Hash.fromBytes(sealRoot(treeTop(leaves.map((leaf) => leaf.bytes)), size));
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`a file size is a whole number of bytes ≥ 0, not ${size}`);
  }
}
