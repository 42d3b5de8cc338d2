import { describe, expect, test } from "bun:test";
import { decode, encode } from "cbor-x";
import fc from "fast-check";
import { checkSignature, signatureFromWire, signatureToWire } from "./check-signature.ts";
import { SignatureBuilder } from "./signature.ts";

const data = Uint8Array.from({ length: 1300 }, (_, i) => (i * 13 + (i >> 9)) & 255);
const sig = new SignatureBuilder(512).update(data).finish();
const protocol = expect.objectContaining({ code: "protocol" });
const block = sig.blocks[0]!;

describe("checkSignature", () => {
  test("accepts a computed signature as it is", () => {
    expect(checkSignature(sig)).toBe(sig);
  });

  test.each([
    ["not a record", "sig"],
    ["null", null],
    ["block size below the minimum", { ...sig, blockSize: 511 }],
    ["block size above the maximum", { ...sig, blockSize: 2 ** 21 }],
    ["fractional block size", { ...sig, blockSize: 512.5 }],
    ["negative file size", { ...sig, fileSize: -1 }],
    ["file size as text", { ...sig, fileSize: "1300" }],
    ["too few blocks for the file size", { ...sig, fileSize: 1537 }],
    ["too many blocks for the file size", { ...sig, fileSize: 1024 }],
    ["strong length too short", { ...sig, strongLength: 4 }],
    ["blocks not an array", { ...sig, blocks: {} }],
    ["a block that is not a record", { ...sig, blocks: [block, block, 3] }],
    ["a negative weak checksum", { ...sig, blocks: [block, block, { ...block, weak: -1 }] }],
    [
      "a weak checksum past 32 bits",
      { ...sig, blocks: [block, block, { ...block, weak: 2 ** 32 }] },
    ],
    [
      "a strong hash of the wrong length",
      { ...sig, blocks: [block, block, { ...block, strong: new Uint8Array(15) }] },
    ],
    [
      "a strong hash that is not bytes",
      { ...sig, blocks: [block, block, { ...block, strong: [...block.strong] }] },
    ],
  ])("refuses %s", (_name, value) => {
    expect(() => checkSignature(value)).toThrow(protocol);
  });
});

describe("signature wire form", () => {
  test("costs 4 + strongLength bytes per block and survives CBOR", () => {
    const wire = signatureToWire(sig);
    expect(wire.weak.length).toBe(3 * 4);
    expect(wire.strong.length).toBe(3 * 16);
    expect(signatureFromWire(decode(encode(wire)))).toEqual(sig);
  });

  test("round-trips any signature", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 8, max: 32 }),
        (bytes, strongLength) => {
          const s = new SignatureBuilder(512, { strongLength }).update(bytes).finish();
          expect(signatureFromWire(signatureToWire(s))).toEqual(s);
        },
      ),
    );
  });

  const wire = signatureToWire(sig);
  test.each([
    ["not a record", 42],
    ["a huge claimed size", { ...wire, fileSize: 2 ** 52 }],
    ["weak checksums cut short", { ...wire, weak: wire.weak.subarray(4) }],
    ["strong hashes cut short", { ...wire, strong: wire.strong.subarray(1) }],
    ["weak checksums as a list", { ...wire, weak: [...wire.weak] }],
    ["a bad strong length", { ...wire, strongLength: 64 }],
    ["a missing block size", { ...wire, blockSize: undefined }],
  ])("refuses %s", (_name, value) => {
    expect(() => signatureFromWire(value)).toThrow(protocol);
  });
});
