import { weakChecksum } from "./rolling-checksum.ts";
import {
  DEFAULT_STRONG_LENGTH,
  MAX_STRONG_LENGTH,
  MIN_STRONG_LENGTH,
  strongHash,
} from "./strong-hash.ts";

/** One block of the receiver's base content: its weak checksum and its strong hash. */
export interface SignatureBlock {
  /** rsync weak checksum of the block (unsigned 32-bit). */
  readonly weak: number;
  /** Truncated BLAKE2b of the block, `strongLength` bytes. */
  readonly strong: Uint8Array;
}

/**
 * What a receiver sends so a sender can describe new content as copies of its blocks:
 * the base is cut into `blockSize` blocks (the last one may be shorter), one entry each.
 * Plain data (numbers and Uint8Arrays); check one received from a peer with
 * `checkSignature` or `signatureFromWire` before use.
 */
export interface Signature {
  readonly blockSize: number;
  readonly fileSize: number;
  readonly strongLength: number;
  readonly blocks: readonly SignatureBlock[];
}

/** Smallest block size a signature may use. */
export const MIN_BLOCK_SIZE = 512;
/** Largest block size a signature may use. */
export const MAX_BLOCK_SIZE = 1 << 20;

const SMALLEST_CHOSEN = 1 << 10;

/**
 * The block size for a base of `fileSize` bytes: the power of two nearest √fileSize, kept
 * within [1 KiB, 1 MiB]. Like rsync (which uses √size, 700 B to 128 KiB), this balances
 * signature bytes (20 per block) against literal bytes per changed region (1–2 blocks):
 * 1 MiB → 1 KiB, 256 MiB → 16 KiB, 1 GiB → 32 KiB, ≥ 1 TiB → 1 MiB. A power of two keeps
 * blocks aligned with the 64 KiB Merkle leaves, so a changed leaf maps to whole blocks.
 */
export function chooseBlockSize(fileSize: number): number {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) {
    throw new RangeError(`a file size is a whole number ≥ 0, not ${fileSize}`);
  }
  const exponent = Math.round(Math.log2(Math.max(fileSize, 1)) / 2);
  return Math.min(MAX_BLOCK_SIZE, Math.max(SMALLEST_CHOSEN, 2 ** exponent));
}

/** Number of blocks of a signature over `fileSize` bytes. */
export function blockCount(fileSize: number, blockSize: number): number {
  return Math.ceil(fileSize / blockSize);
}

/** Options of a signature computation. */
export interface SignatureOptions {
  /** Strong-hash bytes per block, within [8, 32]; 16 by default (see DEFAULT_STRONG_LENGTH). */
  readonly strongLength?: number;
}

/**
 * Computes a signature from content given chunk by chunk, of any sizes. Holds at most one
 * partial block, never the whole content.
 */
export class SignatureBuilder {
  readonly blockSize: number;
  readonly strongLength: number;
  readonly #blocks: SignatureBlock[] = [];
  readonly #partial: Uint8Array;
  #partialLength = 0;
  #fileSize = 0;
  #finished = false;

  /** Throws RangeError when the block size or strong length is out of bounds. */
  constructor(blockSize: number, options: SignatureOptions = {}) {
    const strongLength = options.strongLength ?? DEFAULT_STRONG_LENGTH;
    if (
      !Number.isSafeInteger(blockSize) ||
      blockSize < MIN_BLOCK_SIZE ||
      blockSize > MAX_BLOCK_SIZE
    ) {
      throw new RangeError(
        `a block size is within [${MIN_BLOCK_SIZE}, ${MAX_BLOCK_SIZE}], not ${blockSize}`,
      );
    }
    if (
      !Number.isSafeInteger(strongLength) ||
      strongLength < MIN_STRONG_LENGTH ||
      strongLength > MAX_STRONG_LENGTH
    ) {
      throw new RangeError(
        `a strong length is within [${MIN_STRONG_LENGTH}, ${MAX_STRONG_LENGTH}], not ${strongLength}`,
      );
    }
    this.blockSize = blockSize;
    this.strongLength = strongLength;
    this.#partial = new Uint8Array(blockSize);
  }

  /** Adds the next bytes of the base; `chunk` is not kept, so the caller may reuse it. */
  update(chunk: Uint8Array): this {
    if (this.#finished) throw new Error("SignatureBuilder.update after finish");
    const size = this.blockSize;
    this.#fileSize += chunk.length;
    let offset = 0;
    if (this.#partialLength > 0) {
      const take = Math.min(size - this.#partialLength, chunk.length);
      this.#partial.set(chunk.subarray(0, take), this.#partialLength);
      this.#partialLength += take;
      offset = take;
      if (this.#partialLength < size) return this;
      this.#addBlock(this.#partial, 0, size);
      this.#partialLength = 0;
    }
    for (; offset + size <= chunk.length; offset += size) this.#addBlock(chunk, offset, size);
    this.#partial.set(chunk.subarray(offset), 0);
    this.#partialLength = chunk.length - offset;
    return this;
  }

  /** The signature of everything added; the builder must not be used afterwards. */
  finish(): Signature {
    if (this.#finished) throw new Error("SignatureBuilder.finish called twice");
    this.#finished = true;
    if (this.#partialLength > 0) this.#addBlock(this.#partial, 0, this.#partialLength);
    return {
      blockSize: this.blockSize,
      fileSize: this.#fileSize,
      strongLength: this.strongLength,
      blocks: this.#blocks,
    };
  }

  #addBlock(data: Uint8Array, start: number, len: number): void {
    this.#blocks.push({
      weak: weakChecksum(data, start, len),
      strong: strongHash(data, start, len, this.strongLength),
    });
  }
}

/**
 * The signature of content read as a stream of chunks (a file reader, a network stream, an
 * array of buffers), with blocks of `blockSize` bytes (see `chooseBlockSize`).
 */
export async function computeSignature(
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  blockSize: number,
  options: SignatureOptions = {},
): Promise<Signature> {
  const builder = new SignatureBuilder(blockSize, options);
  for await (const chunk of source) builder.update(chunk);
  return builder.finish();
}
