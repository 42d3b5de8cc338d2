import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RollingChecksum, weakChecksum } from "./rolling-checksum.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("weakChecksum", () => {
  test.each([
    ["", 0, 0],
    ["a", 97, 97],
    ["abc", 97 + 98 + 99, 3 * 97 + 2 * 98 + 99],
  ])("of %p is a=%p, b=%p", (text, a, b) => {
    const data = bytes(text);
    expect(weakChecksum(data, 0, data.length)).toBe((a | (b << 16)) >>> 0);
  });

  test("wraps both sums modulo 2^16 and stays unsigned", () => {
    const data = new Uint8Array(4096).fill(255);
    const a = (4096 * 255) % 65536;
    const b = ((255 * 4096 * 4097) / 2) % 65536;
    const value = weakChecksum(data, 0, data.length);
    expect(value).toBe(a + b * 65536);
    expect(value).toBeGreaterThanOrEqual(0);
  });

  test("reads only the window it is given", () => {
    const data = bytes("xxabcyy");
    expect(weakChecksum(data, 2, 3)).toBe(weakChecksum(bytes("abc"), 0, 3));
  });
});

describe("RollingChecksum", () => {
  test("refuses an empty window", () => {
    expect(() => new RollingChecksum(0)).toThrow(RangeError);
  });

  test("rolling equals computing each window afresh", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
        fc.integer({ min: 1, max: 64 }),
        (data, size) => {
          fc.pre(size <= data.length);
          const rolling = new RollingChecksum(size).reset(data, 0);
          for (let start = 0; start + size <= data.length; start++) {
            expect(rolling.value).toBe(weakChecksum(data, start, size));
            if (start + size < data.length) rolling.roll(data[start]!, data[start + size]!);
          }
        },
      ),
    );
  });
});
