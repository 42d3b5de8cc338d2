import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Hash } from "./hash.ts";

const digest = fc.uint8Array({ minLength: 32, maxLength: 32 });
const hex64 = "0123456789abcdef".repeat(4);

describe("Hash", () => {
  test("hex round-trips through bytes and back", () => {
    fc.assert(
      fc.property(digest, (bytes) => {
        const hash = Hash.fromBytes(bytes);
        const hex = hash.toHex();
        expect(hex).toMatch(/^[0-9a-f]{64}$/);
        expect(hex).toBe(Buffer.from(bytes).toString("hex"));
        expect(Hash.fromHex(hex)?.equals(hash)).toBe(true);
        expect(Hash.fromHex(hex)?.bytes).toEqual(bytes);
        expect(String(hash)).toBe(hex);
      }),
    );
  });

  test("is compared by value", () => {
    fc.assert(
      fc.property(digest, digest, (a, b) => {
        const same = Buffer.from(a).equals(Buffer.from(b));
        expect(Hash.fromBytes(a).equals(Hash.fromBytes(b))).toBe(same);
        expect(Hash.fromBytes(a).equals(Hash.fromBytes(Uint8Array.from(a)))).toBe(true);
      }),
    );
  });

  test("copies its bytes, so later changes to the input do not leak in", () => {
    const input = new Uint8Array(32).fill(7);
    const hash = Hash.fromBytes(input);
    input[0] = 99;
    expect(hash.bytes[0]).toBe(7);
  });

  test.each([0, 31, 33, 64])("fromBytes refuses %p bytes", (n) => {
    expect(() => Hash.fromBytes(new Uint8Array(n))).toThrow(RangeError);
  });

  test.each([
    ["empty", ""],
    ["63 digits", hex64.slice(1)],
    ["65 digits", `${hex64}0`],
    ["uppercase", hex64.toUpperCase()],
    ["0x prefix", `0x${hex64.slice(2)}`],
    ["non-hex letter", `g${hex64.slice(1)}`],
    ["trailing newline", `${hex64}\n`],
    ["leading space", ` ${hex64.slice(1)}`],
    ["base64 of 32 bytes", Buffer.alloc(32).toString("base64")],
  ])("fromHex refuses %s", (_name, text) => {
    expect(Hash.fromHex(text)).toBeUndefined();
  });
});
