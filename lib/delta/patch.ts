import { RealizeError } from "../model/errors.ts";
import { checkDeltaOp, type DeltaOp } from "./delta-op.ts";
import { blockCount } from "./signature.ts";

/** Reads `length` bytes of the receiver's base at `offset` (exactly that many). */
export type ReadBase = (offset: number, length: number) => Promise<Uint8Array> | Uint8Array;
/** Writes bytes of the new content at `offset` (offsets arrive in increasing order). */
export type WriteOutput = (offset: number, data: Uint8Array) => Promise<void> | void;

/** How the base was cut when its signature was made (a Signature has these fields). */
export interface BaseGeometry {
  readonly blockSize: number;
  readonly fileSize: number;
}

/** Options of a patch. */
export interface PatchOptions {
  /** Size the new content must have; an op that would write past it is refused. */
  readonly expectedSize?: number;
}

/** Most bytes read from the base per call while copying a run of blocks. */
const COPY_PIECE = 4 << 20;

/**
 * The receiver's side of a delta: applies ops one by one, copying blocks from the base and
 * writing literals, to rebuild the sender's content from offset 0 up. Every op is checked
 * before anything is read or written: an op from a peer that is malformed, points outside
 * the base or would grow the output past `expectedSize` throws RealizeError("protocol").
 * It writes where `write` says (a `.partial`); checking the whole hash is the caller's.
 */
export class DeltaPatcher {
  readonly #base: BaseGeometry;
  readonly #blocks: number;
  readonly #readBase: ReadBase;
  readonly #write: WriteOutput;
  readonly #expectedSize: number | undefined;
  #size = 0;

  constructor(
    base: BaseGeometry,
    readBase: ReadBase,
    write: WriteOutput,
    options: PatchOptions = {},
  ) {
    const { blockSize, fileSize } = base;
    if (
      !Number.isSafeInteger(blockSize) ||
      blockSize < 1 ||
      !Number.isSafeInteger(fileSize) ||
      fileSize < 0
    ) {
      throw new RangeError(
        `a base is cut into blocks of ≥ 1 byte, not ${blockSize} over ${fileSize}`,
      );
    }
    this.#base = base;
    this.#blocks = blockCount(fileSize, blockSize);
    this.#readBase = readBase;
    this.#write = write;
    this.#expectedSize = options.expectedSize;
  }

  /** Bytes of new content written so far. */
  get size(): number {
    return this.#size;
  }

  /** Checks and applies the next op (a value from the wire or a DeltaOp). */
  async apply(value: unknown): Promise<void> {
    const op: DeltaOp = checkDeltaOp(value, this.#blocks);
    if (op.op === "literal") {
      this.#reserve(op.data.length);
      await this.#write(this.#size, op.data);
      this.#size += op.data.length;
      return;
    }
    const { blockSize, fileSize } = this.#base;
    const start = op.block * blockSize;
    const end = Math.min(fileSize, (op.block + (op.count ?? 1)) * blockSize);
    this.#reserve(end - start);
    for (let offset = start; offset < end; ) {
      const length = Math.min(COPY_PIECE, end - offset);
      const data = await this.#readBase(offset, length);
      if (data.length !== length) {
        throw new RealizeError(
          "io",
          `the base file gave ${data.length} bytes at offset ${offset} where it had ${length}: it changed while being patched; sync again`,
          { offset, length },
        );
      }
      await this.#write(this.#size, data);
      this.#size += length;
      offset += length;
    }
  }

  /** Ends the patch; returns the new content's size, refusing a short one. */
  finish(): number {
    if (this.#expectedSize !== undefined && this.#size !== this.#expectedSize) {
      throw protocolError(
        `the delta rebuilt ${this.#size} bytes where ${this.#expectedSize} were announced`,
      );
    }
    return this.#size;
  }

  #reserve(length: number): void {
    if (this.#expectedSize !== undefined && this.#size + length > this.#expectedSize) {
      throw protocolError(
        `the delta grows the file past the announced ${this.#expectedSize} bytes`,
      );
    }
  }
}

/**
 * Applies a whole delta (a stream of ops) to the base; returns the new content's size.
 * Throws RealizeError("protocol") on the first bad op, having written only what came before.
 */
export async function applyDelta(
  base: BaseGeometry,
  ops: Iterable<unknown> | AsyncIterable<unknown>,
  readBase: ReadBase,
  write: WriteOutput,
  options: PatchOptions = {},
): Promise<number> {
  const patcher = new DeltaPatcher(base, readBase, write, options);
  for await (const op of ops) await patcher.apply(op);
  return patcher.finish();
}

function protocolError(reason: string): RealizeError {
  return new RealizeError(
    "protocol",
    `refused a delta from the peer: ${reason}; the peer runs an incompatible or faulty realize`,
    { reason },
  );
}
