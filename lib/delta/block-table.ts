import type { Signature } from "./signature.ts";
import { sameStrong } from "./strong-hash.ts";

/** Most blocks kept per bucket; more (only from a hostile or degenerate signature) are dropped. */
const MAX_CHAIN = 32;
/** Multiplier that spreads weak checksums over buckets and filter slots (2³² / φ). */
export const MIX = 0x9e3779b1;

/**
 * The sender's index over a receiver's signature: full-size blocks by weak checksum in a
 * chained hash table of typed arrays (no objects in the hot path), strong hashes packed,
 * and in front of it a bit filter (32 bits per block, at most 256 KiB so it stays in cache)
 * that rules out nearly every offset of non-matching content with one load.
 * Blocks with the same weak and strong hash are kept once (the first), and a bucket holds
 * at most MAX_CHAIN blocks, so a lookup costs O(1) whatever the signature; a dropped
 * block only means a match may be missed, never a wrong match.
 */
export class BlockTable {
  readonly blockSize: number;
  readonly count: number;
  readonly strongLength: number;
  /** Length of the last block (blockSize unless the base ends in a short block; 0 if empty). */
  readonly lastLength: number;
  /** Weak checksum per block, as a signed 32-bit value. */
  readonly weaks: Int32Array;
  /** Strong hashes, block i at [i·strongLength, (i+1)·strongLength). */
  readonly strongs: Uint8Array;
  /** Bucket → first block of its chain + 1, or 0 when empty. */
  readonly head: Int32Array;
  /** Block → next block of its chain + 1, or 0 at the end. */
  readonly next: Int32Array;
  /** Right shift that maps a mixed weak checksum to a bucket. */
  readonly shift: number;
  /** One bit per filter slot, set where some full-size block's weak checksum falls. */
  readonly filter: Int32Array;
  /** Right shift that maps a mixed weak checksum to a filter slot. */
  readonly filterShift: number;

  constructor(sig: Signature) {
    const { blockSize, strongLength, blocks } = sig;
    const count = blocks.length;
    this.blockSize = blockSize;
    this.count = count;
    this.strongLength = strongLength;
    this.lastLength = count === 0 ? 0 : sig.fileSize - (count - 1) * blockSize;
    this.weaks = new Int32Array(count);
    this.strongs = new Uint8Array(count * strongLength);
    const bits = Math.max(4, Math.ceil(Math.log2(count * 2 + 1)));
    this.head = new Int32Array(1 << bits);
    this.next = new Int32Array(count);
    this.shift = 32 - bits;
    const filterBits = Math.min(21, Math.max(10, Math.ceil(Math.log2(count * 32 + 1))));
    this.filter = new Int32Array(1 << (filterBits - 5));
    this.filterShift = 32 - filterBits;
    for (let i = 0; i < count; i++) {
      const block = blocks[i]!;
      this.weaks[i] = block.weak | 0;
      this.strongs.set(block.strong, i * strongLength);
      if (i < count - 1 || this.lastLength === blockSize) this.#insert(i);
    }
  }

  /** The bucket of a weak checksum (signed or unsigned 32-bit). */
  bucket(weak: number): number {
    return Math.imul(weak, MIX) >>> this.shift;
  }

  /** Length of block `index` of the base. */
  lengthOf(index: number): number {
    return index === this.count - 1 ? this.lastLength : this.blockSize;
  }

  /** True when block `index` has this weak checksum and a strong hash matching `digest`. */
  matches(index: number, weak: number, digest: Uint8Array): boolean {
    return (
      this.weaks[index] === (weak | 0) &&
      sameStrong(digest, this.strongs, index * this.strongLength, this.strongLength)
    );
  }

  /** A full-size block with this weak checksum whose strong hash matches `digest`, or −1. */
  find(weak: number, digest: Uint8Array): number {
    const w = weak | 0;
    for (let j = this.head[this.bucket(w)]!; j !== 0; j = this.next[j - 1]!) {
      if (this.matches(j - 1, w, digest)) return j - 1;
    }
    return -1;
  }

  #insert(index: number): void {
    const b = this.bucket(this.weaks[index]!);
    const at = index * this.strongLength;
    let length = 0;
    let last = 0;
    for (let j = this.head[b]!; j !== 0; j = this.next[j - 1]!) {
      const other = j - 1;
      if (
        this.weaks[other] === this.weaks[index] &&
        sameStrong(
          this.strongs.subarray(at),
          this.strongs,
          other * this.strongLength,
          this.strongLength,
        )
      ) {
        return;
      }
      last = j;
      length++;
    }
    if (length >= MAX_CHAIN) return;
    if (last === 0) this.head[b] = index + 1;
    else this.next[last - 1] = index + 1;
    const slot = Math.imul(this.weaks[index]!, MIX) >>> this.filterShift;
    this.filter[slot >>> 5]! |= 1 << (slot & 31);
  }
}
