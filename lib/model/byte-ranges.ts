import { ByteRange } from "./byte-range.ts";

/**
 * A set of byte offsets, kept as its ranges in normal form: sorted, disjoint, never
 * adjacent (touching ranges are merged) and never empty. Two sets holding the same bytes
 * therefore have the same `ranges`. Immutable; every operation returns a new set. Tracks,
 * for example, which parts of a blob the cache holds.
 */
export class ByteRanges implements Iterable<ByteRange> {
  private static readonly EMPTY = new ByteRanges([]);

  /** The ranges in normal form. */
  readonly ranges: readonly ByteRange[];

  private constructor(normalised: ByteRange[]) {
    this.ranges = Object.freeze(normalised);
  }

  /** The set of bytes covered by any of `ranges`, in whatever order and overlap they come. */
  static of(...ranges: ByteRange[]): ByteRanges {
    const sorted = ranges.filter((r) => !r.isEmpty).sort((a, b) => a.start - b.start);
    return ByteRanges.fromSorted(sorted);
  }

  /** The set holding no byte. */
  static empty(): ByteRanges {
    return ByteRanges.EMPTY;
  }

  /**
   * Rebuilds a set from `toPairs()` output (or any `[start, end)` pairs); throws RangeError on
   * a pair that is not a valid ByteRange.
   */
  static fromPairs(pairs: Iterable<readonly [number, number]>): ByteRanges {
    return ByteRanges.of(...Array.from(pairs, ([start, end]) => new ByteRange(start, end)));
  }

  /** Merges ranges sorted by start (empty ones already dropped) into normal form. */
  private static fromSorted(sorted: readonly ByteRange[]): ByteRanges {
    const out: ByteRange[] = [];
    for (const r of sorted) {
      const last = out[out.length - 1];
      if (last !== undefined && r.start <= last.end) {
        if (r.end > last.end) out[out.length - 1] = new ByteRange(last.start, r.end);
      } else {
        out.push(r);
      }
    }
    return out.length === 0 ? ByteRanges.EMPTY : new ByteRanges(out);
  }

  /** True when the set holds no byte. */
  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** Number of bytes in the set. */
  get totalLength(): number {
    let total = 0;
    for (const r of this.ranges) total += r.length;
    return total;
  }

  /** Bytes in either set. */
  union(other: ByteRanges): ByteRanges {
    if (other.isEmpty) return this;
    if (this.isEmpty) return other;
    const merged: ByteRange[] = [];
    let i = 0;
    let j = 0;
    while (i < this.ranges.length || j < other.ranges.length) {
      const a = this.ranges[i];
      const b = other.ranges[j];
      if (b === undefined || (a !== undefined && a.start <= b.start)) {
        merged.push(a!);
        i++;
      } else {
        merged.push(b);
        j++;
      }
    }
    return ByteRanges.fromSorted(merged);
  }

  /** Bytes in both sets. */
  intersection(other: ByteRanges): ByteRanges {
    const out: ByteRange[] = [];
    let i = 0;
    let j = 0;
    while (i < this.ranges.length && j < other.ranges.length) {
      const a = this.ranges[i]!;
      const b = other.ranges[j]!;
      const start = Math.max(a.start, b.start);
      const end = Math.min(a.end, b.end);
      if (start < end) out.push(new ByteRange(start, end));
      if (a.end < b.end) i++;
      else j++;
    }
    return out.length === 0 ? ByteRanges.EMPTY : new ByteRanges(out);
  }

  /** Bytes in this set but not in `other`. */
  difference(other: ByteRanges): ByteRanges {
    if (this.isEmpty || other.isEmpty) return this;
    const out: ByteRange[] = [];
    let j = 0;
    for (const a of this.ranges) {
      let start = a.start;
      while (j < other.ranges.length && other.ranges[j]!.end <= start) j++;
      let k = j;
      while (start < a.end) {
        const b = other.ranges[k];
        if (b === undefined || b.start >= a.end) {
          out.push(new ByteRange(start, a.end));
          break;
        }
        if (b.start > start) out.push(new ByteRange(start, b.start));
        start = b.end;
        k++;
      }
    }
    return out.length === 0 ? ByteRanges.EMPTY : new ByteRanges(out);
  }

  /** The bytes of `range` that this set lacks: what is still missing of it. */
  complementWithin(range: ByteRange): ByteRanges {
    return ByteRanges.of(range).difference(this);
  }

  /** True when the byte at `offset` is in the set. */
  contains(offset: number): boolean {
    const r = this.ranges[this.indexAtOrBefore(offset)];
    return r?.contains(offset) === true;
  }

  /** True when every byte of `range` is in the set (always true for an empty range). */
  containsRange(range: ByteRange): boolean {
    if (range.isEmpty) return true;
    const r = this.ranges[this.indexAtOrBefore(range.start)];
    return r !== undefined && r.start <= range.start && range.end <= r.end;
  }

  /** Index of the last range starting at or before `offset`, or -1. */
  private indexAtOrBefore(offset: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ranges[mid]!.start <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** True when both sets hold exactly the same bytes. */
  equals(other: ByteRanges): boolean {
    return (
      this.ranges.length === other.ranges.length &&
      this.ranges.every((r, i) => r.equals(other.ranges[i]!))
    );
  }

  /** The ranges in order, each as `[start, end)`; plain data for SQLite, JSON or the wire. */
  toPairs(): [number, number][] {
    return this.ranges.map((r) => [r.start, r.end]);
  }

  [Symbol.iterator](): Iterator<ByteRange> {
    return this.ranges[Symbol.iterator]();
  }

  /** `{[0, 10), [20, 30)}`, for messages and logs. */
  toString(): string {
    return `{${this.ranges.join(", ")}}`;
  }
}
