/**
 * The weak checksum of rsync: over a window of `len` bytes x₀…x_{len−1},
 * a = Σ xᵢ mod 2¹⁶ and b = Σ (len − i)·xᵢ mod 2¹⁶, packed as the unsigned 32-bit value
 * a + 2¹⁶·b. Sliding the window by one byte costs O(1), which is what lets the delta
 * encoder look for a matching block at every byte offset of the new content.
 */

/** The weak checksum of `data[start, start + len)`, as an unsigned 32-bit number. */
export function weakChecksum(data: Uint8Array, start: number, len: number): number {
  let a = 0;
  let b = 0;
  const end = start + len;
  for (let i = start; i < end; i++) {
    a = (a + data[i]!) | 0;
    b = (b + a) | 0;
  }
  return ((a & 0xffff) | ((b & 0xffff) << 16)) >>> 0;
}

/**
 * A window of fixed length sliding over bytes. Holds only the two sums; `roll` must be
 * given the byte that leaves and the byte that enters. No allocation after construction.
 */
export class RollingChecksum {
  readonly length: number;
  #a = 0;
  #b = 0;

  /** A window of `length` bytes (≥ 1); call `reset` before `value`. */
  constructor(length: number) {
    if (!Number.isSafeInteger(length) || length < 1) {
      throw new RangeError(`a rolling window holds at least one byte, not ${length}`);
    }
    this.length = length;
  }

  /** Starts the window over `data[start, start + length)`. */
  reset(data: Uint8Array, start: number): this {
    const packed = weakChecksum(data, start, this.length);
    this.#a = packed & 0xffff;
    this.#b = packed >>> 16;
    return this;
  }

  /** Slides the window one byte: `out` leaves at the front, `in` enters at the back. */
  roll(out: number, enter: number): this {
    this.#a = (this.#a - out + enter) & 0xffff;
    this.#b = (this.#b - this.length * out + this.#a) & 0xffff;
    return this;
  }

  /** The checksum of the current window, as an unsigned 32-bit number. */
  get value(): number {
    return (this.#a | (this.#b << 16)) >>> 0;
  }
}
