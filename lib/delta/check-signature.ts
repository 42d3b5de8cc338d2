import { RealizeError } from "../model/errors.ts";
import {
  blockCount,
  MAX_BLOCK_SIZE,
  MIN_BLOCK_SIZE,
  type Signature,
  type SignatureBlock,
} from "./signature.ts";
import { MAX_STRONG_LENGTH, MIN_STRONG_LENGTH } from "./strong-hash.ts";

/**
 * A signature as it crosses the wire (one CBOR value): the weak checksums packed as
 * 4-byte big-endian words and the strong hashes packed end to end, so a block costs
 * exactly 4 + strongLength bytes.
 */
export interface SignatureWire {
  readonly blockSize: number;
  readonly fileSize: number;
  readonly strongLength: number;
  readonly weak: Uint8Array;
  readonly strong: Uint8Array;
}

/** The wire form of a signature (see SignatureWire). */
export function signatureToWire(sig: Signature): SignatureWire {
  const count = sig.blocks.length;
  const weak = new Uint8Array(count * 4);
  const weakView = new DataView(weak.buffer);
  const strong = new Uint8Array(count * sig.strongLength);
  sig.blocks.forEach((block, i) => {
    weakView.setUint32(i * 4, block.weak);
    strong.set(block.strong, i * sig.strongLength);
  });
  return {
    blockSize: sig.blockSize,
    fileSize: sig.fileSize,
    strongLength: sig.strongLength,
    weak,
    strong,
  };
}

/**
 * Turns a decoded wire value from a peer into a Signature, or throws
 * RealizeError("protocol") saying what is wrong with it. Never trusts the peer's shape.
 */
export function signatureFromWire(value: unknown): Signature {
  if (typeof value !== "object" || value === null) throw bad("it is not a record");
  const wire = value as Record<string, unknown>;
  const { blockSize, fileSize, strongLength } = checkGeometry(wire);
  const count = blockCount(fileSize, blockSize);
  const { weak, strong } = wire;
  if (!(weak instanceof Uint8Array) || weak.length !== count * 4) {
    throw bad(`weak checksums are not ${count * 4} bytes for ${count} blocks`);
  }
  if (!(strong instanceof Uint8Array) || strong.length !== count * strongLength) {
    throw bad(`strong hashes are not ${count * strongLength} bytes for ${count} blocks`);
  }
  const weakView = new DataView(weak.buffer, weak.byteOffset, weak.byteLength);
  const blocks: SignatureBlock[] = new Array(count);
  for (let i = 0; i < count; i++) {
    blocks[i] = {
      weak: weakView.getUint32(i * 4),
      strong: strong.slice(i * strongLength, (i + 1) * strongLength),
    };
  }
  return { blockSize, fileSize, strongLength, blocks };
}

/**
 * Checks that a value is a well-formed Signature: block size and strong length within
 * bounds, as many blocks as fileSize / blockSize says, each with a 32-bit weak checksum and
 * a strong hash of strongLength bytes. Returns it typed, or throws RealizeError("protocol").
 */
export function checkSignature(value: unknown): Signature {
  if (typeof value !== "object" || value === null) throw bad("it is not a record");
  const sig = value as Record<string, unknown>;
  const { blockSize, fileSize, strongLength } = checkGeometry(sig);
  const count = blockCount(fileSize, blockSize);
  const { blocks } = sig;
  if (!Array.isArray(blocks) || blocks.length !== count) {
    throw bad(`it does not list ${count} blocks for ${fileSize} bytes in blocks of ${blockSize}`);
  }
  for (let i = 0; i < count; i++) {
    const block: unknown = blocks[i];
    if (typeof block !== "object" || block === null) throw bad(`block ${i} is not a record`);
    const { weak, strong } = block as Record<string, unknown>;
    if (typeof weak !== "number" || !Number.isInteger(weak) || weak < 0 || weak > 0xffffffff) {
      throw bad(`block ${i} has no 32-bit weak checksum`);
    }
    if (!(strong instanceof Uint8Array) || strong.length !== strongLength) {
      throw bad(`block ${i} has no ${strongLength}-byte strong hash`);
    }
  }
  return value as Signature;
}

function checkGeometry(value: Record<string, unknown>): {
  blockSize: number;
  fileSize: number;
  strongLength: number;
} {
  const { blockSize, fileSize, strongLength } = value;
  if (!isWhole(blockSize) || blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE) {
    throw bad(
      `block size ${String(blockSize)} is not within [${MIN_BLOCK_SIZE}, ${MAX_BLOCK_SIZE}]`,
    );
  }
  if (!isWhole(fileSize) || fileSize < 0) {
    throw bad(`file size ${String(fileSize)} is not a whole number ≥ 0`);
  }
  if (
    !isWhole(strongLength) ||
    strongLength < MIN_STRONG_LENGTH ||
    strongLength > MAX_STRONG_LENGTH
  ) {
    throw bad(
      `strong length ${String(strongLength)} is not within [${MIN_STRONG_LENGTH}, ${MAX_STRONG_LENGTH}]`,
    );
  }
  return { blockSize, fileSize, strongLength };
}

function isWhole(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value);
}

function bad(reason: string): RealizeError {
  return new RealizeError(
    "protocol",
    `refused a delta signature from the peer: ${reason}; the peer runs an incompatible or faulty realize`,
    { reason },
  );
}
