import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Blake2b, blake2b } from "./blake2b.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("blake2b", () => {
  test.each([
    ["", "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"],
    ["abc", "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"],
  ])("BLAKE2b-256 of %p is the published digest", (text, digest) => {
    expect(hex(blake2b(new TextEncoder().encode(text)))).toBe(digest);
  });

  test("agrees with Bun's own BLAKE2b-256 on any bytes, fed in any two parts", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), (data, cut) => {
        const at = cut % (data.length + 1);
        const ours = new Blake2b().update(data.subarray(0, at)).update(data.subarray(at)).digest();
        expect(hex(ours)).toBe(new Bun.CryptoHasher("blake2b256").update(data).digest("hex"));
      }),
    );
  });

  test("reads a view at its own offset, not from the start of its buffer", () => {
    const whole = new TextEncoder().encode("xxabcxx");
    expect(hex(blake2b(whole.subarray(2, 5)))).toBe(
      "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
    );
  });
});
