import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ByteRange } from "./byte-range.ts";

const MAX = 48;
const range = fc
  .tuple(fc.nat(MAX), fc.nat(MAX))
  .map(([a, b]) => new ByteRange(Math.min(a, b), Math.max(a, b)));
const offsets = (r: ByteRange): Set<number> => {
  const out = new Set<number>();
  for (let i = r.start; i < r.end; i++) out.add(i);
  return out;
};

describe("ByteRange", () => {
  test.each([
    [-1, 0],
    [5, 4],
    [0.5, 1],
    [0, 1.5],
    [Number.NaN, 1],
    [0, Number.NaN],
    [0, Number.POSITIVE_INFINITY],
    [0, 2 ** 53],
  ])("refuses start %p end %p with a RangeError", (start, end) => {
    expect(() => new ByteRange(start, end)).toThrow(RangeError);
  });

  test("accepts empty ranges and the largest safe offset", () => {
    expect(new ByteRange(7, 7).isEmpty).toBe(true);
    expect(new ByteRange(7, 7).length).toBe(0);
    const top = new ByteRange(0, Number.MAX_SAFE_INTEGER);
    expect(top.length).toBe(Number.MAX_SAFE_INTEGER);
    expect(top.contains(Number.MAX_SAFE_INTEGER - 1)).toBe(true);
  });

  test("is half-open: holds start, not end", () => {
    const r = new ByteRange(10, 20);
    expect([r.contains(9), r.contains(10), r.contains(19), r.contains(20)]).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(r.length).toBe(10);
    expect(r.isEmpty).toBe(false);
    expect(r.toString()).toBe("[10, 20)");
  });

  test("withLength counts from start and validates", () => {
    expect(ByteRange.withLength(100, 28).equals(new ByteRange(100, 128))).toBe(true);
    expect(() => ByteRange.withLength(5, -1)).toThrow(RangeError);
  });

  test("adjacent ranges neither overlap nor intersect", () => {
    const a = new ByteRange(0, 10);
    const b = new ByteRange(10, 20);
    expect(a.overlaps(b)).toBe(false);
    expect(a.intersect(b).isEmpty).toBe(true);
  });

  test("intersect and overlaps hold exactly the shared offsets", () => {
    fc.assert(
      fc.property(range, range, (a, b) => {
        const shared = [...offsets(a)].filter((i) => offsets(b).has(i));
        const both = a.intersect(b);
        expect([...offsets(both)]).toEqual(shared);
        expect(a.overlaps(b)).toBe(shared.length > 0);
        expect(b.intersect(a).length).toBe(both.length);
      }),
    );
  });

  test("contains agrees with the offsets of the range", () => {
    fc.assert(
      fc.property(range, fc.nat(MAX + 2), (r, offset) => {
        expect(r.contains(offset)).toBe(offsets(r).has(offset));
      }),
    );
  });
});
