import { describe, expect, test } from "bun:test";
import { Decoder } from "cbor-x";
import fc from "fast-check";
import { RealizeError } from "../model/errors.ts";
import {
  CBOR_OPTIONS,
  encodeFrame,
  FRAME_HEADER,
  frameParts,
  IN_PLACE_BYTES,
} from "./frame-encoding.ts";

const decoder = new Decoder(CBOR_OPTIONS);

/** The value a frame holds, after checking its header names the rest's length. */
function unframe(frame: Buffer): unknown {
  expect(frame.readUInt32BE(0)).toBe(frame.length - FRAME_HEADER);
  return decoder.decode(frame.subarray(FRAME_HEADER));
}

const large = (fill: number, extra = 0) => Buffer.alloc(IN_PLACE_BYTES + extra, fill);

/** Whether `part` is a view of `bytes`' memory rather than a copy. */
const shares = (part: Uint8Array, bytes: Uint8Array) =>
  part.buffer === bytes.buffer && part.byteOffset === bytes.byteOffset;

describe("frameParts", () => {
  test.each<[string, unknown]>([
    ["a number", 7],
    ["a small message", { t: "res", id: 3, ok: { a: [1, "b", null, true] } }],
    ["small bytes", { t: "chunk", id: 1, data: Buffer.alloc(IN_PLACE_BYTES - 1, 1) }],
  ])("%s is one piece, the whole frame", (_, value) => {
    const parts = frameParts(value);
    expect(parts).toHaveLength(1);
    expect(unframe(parts[0] as Buffer)).toEqual(value);
  });

  test.each<[string, (bytes: Buffer) => unknown]>([
    ["alone", (bytes) => bytes],
    ["a chunk's data", (bytes) => ({ t: "chunk", id: 9, data: bytes })],
    ["before other fields", (bytes) => ({ data: bytes, t: "req", id: 2, method: "m" })],
    ["in an array", (bytes) => ["x", bytes, 3]],
    ["4 levels down", (bytes) => ({ args: { files: [{ path: "a", data: bytes }] } })],
    ["in a long array", (bytes) => [...Array.from({ length: 30 }, (_, i) => i), bytes]],
    [
      "beside 300 keys",
      (bytes) => ({
        ...Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i])),
        bytes,
      }),
    ],
  ])("large bytes %s are their own piece, not copied", (_, wrap) => {
    const bytes = large(5, 70_000);
    const value = wrap(bytes);
    const parts = frameParts(value);
    expect(parts.filter((part) => shares(part, bytes))).toHaveLength(1);
    expect(unframe(Buffer.concat(parts))).toEqual(value as Record<string, unknown>);
  });

  test("large bytes deeper than 4 levels are copied into the frame", () => {
    const bytes = large(6);
    const value = { a: { b: { c: { d: [bytes] } } } };
    const parts = frameParts(value);
    expect(parts).toHaveLength(1);
    expect(unframe(parts[0] as Buffer)).toEqual(value);
  });

  test("a view into a larger buffer sends only its own bytes", () => {
    const whole = Buffer.alloc(3 * IN_PLACE_BYTES);
    whole
      .fill(1, 0, IN_PLACE_BYTES)
      .fill(2, IN_PLACE_BYTES)
      .fill(3, 2 * IN_PLACE_BYTES);
    const middle = new Uint8Array(whole.buffer, whole.byteOffset + IN_PLACE_BYTES, IN_PLACE_BYTES);
    expect(unframe(Buffer.concat(frameParts({ data: middle })))).toEqual({ data: large(2) });
  });

  test("the limit counts every piece, and nothing is returned past it", () => {
    const bytes = large(1, 100);
    const size = encodeFrame({ data: bytes }).length - FRAME_HEADER;
    expect(frameParts({ data: bytes }, size)).toHaveLength(2);
    expect(() => frameParts({ data: bytes }, size - 1)).toThrow(RealizeError);
    expect(() => frameParts({ data: bytes }, size - 1)).toThrow(
      `a message of ${size} bytes exceeds the frame limit of ${size - 1} bytes`,
    );
  });

  test("any mix of small and large bytes in objects and arrays decodes to the value", () => {
    const bytes = fc
      .tuple(fc.nat(255), fc.integer({ min: 0, max: 2 * IN_PLACE_BYTES }))
      .map(([fill, length]) => Buffer.alloc(length, fill));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), bytes),
        fc.array(tie("tree"), { maxLength: 4 }),
        fc.dictionary(
          fc.string().filter((key) => key !== "__proto__"),
          tie("tree"),
          { maxKeys: 4 },
        ),
      ),
    }));
    fc.assert(
      fc.property(tree, (value) => {
        expect(unframe(Buffer.concat(frameParts(value)))).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });
});
