/**
 * A half-open span of byte offsets `[start, end)` within a blob or file. Offsets are safe
 * integers ≥ 0 and `start ≤ end`; an empty range (`start === end`) is allowed and holds no
 * byte. Immutable; compared by value.
 */
export class ByteRange {
  readonly start: number;
  readonly end: number;

  /** Throws RangeError unless both are safe integers with `0 ≤ start ≤ end`. */
  constructor(start: number, end: number) {
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new RangeError(`a byte range starts at a whole offset ≥ 0, not ${start}`);
    }
    if (!Number.isSafeInteger(end) || end < start) {
      throw new RangeError(`a byte range ends at a whole offset ≥ its start ${start}, not ${end}`);
    }
    this.start = start;
    this.end = end;
  }

  /** The range of `length` bytes from `start`; throws RangeError like the constructor. */
  static withLength(start: number, length: number): ByteRange {
    return new ByteRange(start, start + length);
  }

  /** Number of bytes in the range. */
  get length(): number {
    return this.end - this.start;
  }

  /** True when the range holds no byte. */
  get isEmpty(): boolean {
    return this.start === this.end;
  }

  /** True when the byte at `offset` is inside the range. */
  contains(offset: number): boolean {
    return offset >= this.start && offset < this.end;
  }

  /** The bytes in both ranges; an empty range when they share none. */
  intersect(other: ByteRange): ByteRange {
    const start = Math.max(this.start, other.start);
    const end = Math.min(this.end, other.end);
    return end > start ? new ByteRange(start, end) : new ByteRange(start, start);
  }

  /** True when the two ranges share at least one byte. */
  overlaps(other: ByteRange): boolean {
    return Math.max(this.start, other.start) < Math.min(this.end, other.end);
  }

  equals(other: ByteRange): boolean {
    return this.start === other.start && this.end === other.end;
  }

  /** `[start, end)`, for messages and logs. */
  toString(): string {
    return `[${this.start}, ${this.end})`;
  }
}
