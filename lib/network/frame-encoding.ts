import { Encoder } from "cbor-x";
import { RealizeError } from "../model/errors.ts";

/**
 * How a value becomes a frame: a 4-byte big-endian length, then one CBOR value (cbor-x).
 * Large byte strings (file data) are not copied into the frame: `frameParts` returns the
 * frame as pieces to write in order, where each such byte string is its own piece, a view
 * of the caller's memory. Written back to back the pieces are exactly one frame; the reader
 * cannot tell how it was cut.
 */

/** Largest frame accepted or sent by default: 4 MiB (file data travels in smaller chunks). */
export const DEFAULT_MAX_FRAME = 4 * 1024 * 1024;
/** Bytes of the length header before each frame's CBOR. */
export const FRAME_HEADER = 4;
/** How frames are encoded and decoded: plain CBOR maps as objects, no cbor-x records or typed-array tags. */
export const CBOR_OPTIONS = {
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
} as const;
/** Byte strings from this length on are written from their own memory rather than copied. */
export const IN_PLACE_BYTES = 16 * 1024;
/** How deep in plain objects and arrays a large byte string is looked for. */
const IN_PLACE_DEPTH = 4;

const encoder = new Encoder(CBOR_OPTIONS);

/**
 * One frame for `value`, as pieces to write in order: the first holds the header. Byte
 * strings of IN_PLACE_BYTES or more (in plain objects and arrays, up to 4 levels deep) are
 * pieces of their own that share the caller's memory, so the caller must not change them
 * until the stream has taken them. Throws RealizeError("protocol") past `maxFrame`.
 */
export function frameParts(value: unknown, maxFrame = DEFAULT_MAX_FRAME): Buffer[] {
  const pieces: Piece[] = [];
  collect(value, 0, pieces);
  let size = 0;
  for (const piece of pieces) size += piece.bytes.length;
  if (size > maxFrame) {
    throw new RealizeError(
      "protocol",
      `a message of ${size} bytes exceeds the frame limit of ${maxFrame} bytes`,
      { size, maxFrame },
    );
  }
  const header = Buffer.allocUnsafe(FRAME_HEADER);
  header.writeUInt32BE(size, 0);
  const parts: Buffer[] = [];
  let copied: Uint8Array[] = [header];
  for (const piece of pieces) {
    if (!piece.inPlace) {
      copied.push(piece.bytes);
      continue;
    }
    parts.push(Buffer.concat(copied));
    copied = [];
    const { buffer, byteOffset, byteLength } = piece.bytes;
    parts.push(Buffer.from(buffer, byteOffset, byteLength));
  }
  if (copied.length > 0) parts.push(Buffer.concat(copied));
  return parts;
}

/** One frame's bytes (header included) in one buffer; see `frameParts`. */
export function encodeFrame(value: unknown, maxFrame = DEFAULT_MAX_FRAME): Buffer {
  const parts = frameParts(value, maxFrame);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/** Encoded bytes; `inPlace` ones are the caller's memory, the others cbor-x output to copy. */
interface Piece {
  bytes: Uint8Array;
  inPlace: boolean;
}

function collect(value: unknown, depth: number, out: Piece[]): void {
  if (isLargeBytes(value)) {
    out.push({ bytes: byteStringHeader(value.byteLength), inPlace: false });
    out.push({ bytes: value, inPlace: true });
    return;
  }
  if (!holdsLargeBytes(value, depth)) {
    out.push({ bytes: encoder.encode(value), inPlace: false });
    return;
  }
  if (Array.isArray(value)) {
    out.push({ bytes: lengthHeader(0x80, value.length), inPlace: false });
    for (const item of value) collect(item, depth + 1, out);
    return;
  }
  const keys = Object.keys(value as object);
  out.push({ bytes: lengthHeader(0xa0, keys.length), inPlace: false });
  for (const key of keys) {
    out.push({ bytes: encoder.encode(key), inPlace: false });
    collect((value as Record<string, unknown>)[key], depth + 1, out);
  }
}

function isLargeBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.byteLength >= IN_PLACE_BYTES;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether a large byte string sits inside `value`, within the depth looked at. */
function holdsLargeBytes(value: unknown, depth: number): boolean {
  if (depth >= IN_PLACE_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value)
      if (isLargeBytes(item) || holdsLargeBytes(item, depth + 1)) return true;
    return false;
  }
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    const item = value[key];
    if (isLargeBytes(item) || holdsLargeBytes(item, depth + 1)) return true;
  }
  return false;
}

/** The CBOR head of a byte string of `length` bytes. */
function byteStringHeader(length: number): Uint8Array {
  return lengthHeader(0x40, length);
}

/** A CBOR head: major type `major` (its bits already shifted) with argument `length`. */
function lengthHeader(major: number, length: number): Uint8Array {
  if (length < 24) return Uint8Array.of(major | length);
  if (length < 0x100) return Uint8Array.of(major | 24, length);
  if (length < 0x10000) return Uint8Array.of(major | 25, length >> 8, length & 0xff);
  const head = new Uint8Array(5);
  head[0] = major | 26;
  new DataView(head.buffer).setUint32(1, length);
  return head;
}
