import { ByteRange } from "../model/byte-range.ts";

/** A piece of a file: `length` bytes at `fileOffset`, found at `offset` in the splice. */
export interface SplicePiece {
  offset: number;
  fileOffset: number;
  length: number;
}

/**
 * Byte ranges of a file laid end to end, as one content (a "splice"): a delta over only the
 * changed ranges of a big file signs, encodes and rebuilds the splice, and this maps its
 * offsets back to the file's. The ranges must be sorted and disjoint (a ByteRanges).
 */
export class SplicedRanges {
  readonly #starts: number[] = [];
  readonly #ranges: readonly ByteRange[];
  /** Bytes in the splice. */
  readonly length: number;

  constructor(ranges: Iterable<ByteRange>) {
    this.#ranges = [...ranges];
    let at = 0;
    for (const r of this.#ranges) {
      this.#starts.push(at);
      at += r.length;
    }
    this.length = at;
  }

  /** The ranges cut to a file of `size` bytes (a base shorter than the new content). */
  clip(size: number): SplicedRanges {
    const kept: ByteRange[] = [];
    for (const r of this.#ranges) {
      if (r.start >= size) break;
      kept.push(r.end <= size ? r : new ByteRange(r.start, size));
    }
    return new SplicedRanges(kept);
  }

  /** The file pieces of splice bytes `[offset, offset + length)`, in order. */
  pieces(offset: number, length: number): SplicePiece[] {
    const end = Math.min(this.length, offset + length);
    const out: SplicePiece[] = [];
    let i = this.#find(offset);
    for (let at = offset; at < end && i < this.#ranges.length; i++) {
      const r = this.#ranges[i]!;
      const within = at - this.#starts[i]!;
      const take = Math.min(r.length - within, end - at);
      out.push({ offset: at, fileOffset: r.start + within, length: take });
      at += take;
    }
    return out;
  }

  /** Every file piece of the splice, in order. */
  all(): SplicePiece[] {
    return this.pieces(0, this.length);
  }

  /** The index of the range holding splice offset `offset` (binary search). */
  #find(offset: number): number {
    let lo = 0;
    let hi = this.#ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
