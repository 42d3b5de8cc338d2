import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ByteRange } from "./byte-range.ts";
import { ByteRanges } from "./byte-ranges.ts";

/** Offsets stay small so a plain array of booleans is an exact model of a set. */
const MAX = 40;
const r = (start: number, end: number) => new ByteRange(start, end);
const rangeArb = fc
  .tuple(fc.nat(MAX), fc.nat(MAX))
  .map(([a, b]) => r(Math.min(a, b), Math.max(a, b)));
const rangeList = fc.array(rangeArb, { maxLength: 6 });
const setArb = rangeList.map((list) => ByteRanges.of(...list));

type Bits = boolean[];
function bitsOf(ranges: Iterable<ByteRange>): Bits {
  const bits: Bits = new Array(MAX + 1).fill(false);
  for (const x of ranges) for (let i = x.start; i < x.end; i++) bits[i] = true;
  return bits;
}
const combine = (a: Bits, b: Bits, op: (x: boolean, y: boolean) => boolean): Bits =>
  a.map((x, i) => op(x, b[i]!));

function expectNormalised(set: ByteRanges): void {
  set.ranges.forEach((x, i) => {
    expect(x.isEmpty).toBe(false);
    const next = set.ranges[i + 1];
    if (next !== undefined) expect(x.end).toBeLessThan(next.start);
  });
}

describe("ByteRanges normal form", () => {
  test.each([
    ["nothing", [], []],
    ["only empty ranges", [r(3, 3), r(0, 0)], []],
    [
      "unsorted",
      [r(20, 30), r(0, 5)],
      [
        [0, 5],
        [20, 30],
      ],
    ],
    ["adjacent, merged", [r(0, 5), r(5, 10)], [[0, 10]]],
    ["overlapping", [r(0, 6), r(4, 10), r(8, 9)], [[0, 10]]],
    ["nested", [r(0, 100), r(10, 20)], [[0, 100]]],
    [
      "gap of one byte kept",
      [r(0, 5), r(6, 10)],
      [
        [0, 5],
        [6, 10],
      ],
    ],
    ["duplicates", [r(1, 2), r(1, 2)], [[1, 2]]],
  ])("of: %s", (_name, input, pairs) => {
    expect(ByteRanges.of(...input).toPairs()).toEqual(pairs as [number, number][]);
  });

  test("of holds exactly the offsets of its inputs, in normal form", () => {
    fc.assert(
      fc.property(rangeList, (list) => {
        const set = ByteRanges.of(...list);
        expectNormalised(set);
        expect(bitsOf(set)).toEqual(bitsOf(list));
      }),
    );
  });

  test("the same bytes give equal sets, different bytes unequal ones", () => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        const same = bitsOf(a).every((x, i) => x === bitsOf(b)[i]);
        expect(a.equals(b)).toBe(same);
      }),
    );
  });

  test("empty() is empty and the identity of union", () => {
    expect(ByteRanges.empty().isEmpty).toBe(true);
    expect(ByteRanges.empty().totalLength).toBe(0);
    expect([...ByteRanges.empty()]).toEqual([]);
    fc.assert(fc.property(setArb, (a) => expect(a.union(ByteRanges.empty()).equals(a)).toBe(true)));
  });

  test("is immutable: ranges are frozen and operations leave their inputs alone", () => {
    const a = ByteRanges.of(r(0, 10));
    const b = ByteRanges.of(r(5, 20));
    a.union(b);
    a.difference(b);
    a.intersection(b);
    expect(a.toPairs()).toEqual([[0, 10]]);
    expect(b.toPairs()).toEqual([[5, 20]]);
    expect(Object.isFrozen(a.ranges)).toBe(true);
  });
});

describe("ByteRanges operations against a bitset model", () => {
  test.each([
    ["union", (a: ByteRanges, b: ByteRanges) => a.union(b), (x: boolean, y: boolean) => x || y],
    [
      "intersection",
      (a: ByteRanges, b: ByteRanges) => a.intersection(b),
      (x: boolean, y: boolean) => x && y,
    ],
    [
      "difference",
      (a: ByteRanges, b: ByteRanges) => a.difference(b),
      (x: boolean, y: boolean) => x && !y,
    ],
  ])("%s", (_name, op, model) => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        const result = op(a, b);
        expectNormalised(result);
        expect(bitsOf(result)).toEqual(combine(bitsOf(a), bitsOf(b), model));
      }),
    );
  });

  test("complementWithin is what the range lacks", () => {
    fc.assert(
      fc.property(setArb, rangeArb, (a, range) => {
        const missing = a.complementWithin(range);
        expectNormalised(missing);
        expect(bitsOf(missing)).toEqual(combine(bitsOf([range]), bitsOf(a), (x, y) => x && !y));
      }),
    );
  });

  test("contains, containsRange and totalLength agree with the model", () => {
    fc.assert(
      fc.property(setArb, fc.nat(MAX + 2), rangeArb, (a, offset, range) => {
        const bits = bitsOf(a);
        expect(a.contains(offset)).toBe(bits[offset] === true);
        const inside = bitsOf([range]).every((x, i) => !x || bits[i]);
        expect(a.containsRange(range)).toBe(inside);
        expect(a.totalLength).toBe(bits.filter(Boolean).length);
        expect(a.isEmpty).toBe(a.totalLength === 0);
      }),
    );
  });

  test("contains at the edges of each range", () => {
    const set = ByteRanges.of(r(10, 20), r(30, 40));
    expect([9, 10, 19, 20, 29, 30, 39, 40].map((i) => set.contains(i))).toEqual([
      false,
      true,
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
    expect(set.containsRange(r(10, 20))).toBe(true);
    expect(set.containsRange(r(15, 35))).toBe(false);
    expect(set.containsRange(r(25, 25))).toBe(true);
    expect(ByteRanges.empty().containsRange(r(0, 1))).toBe(false);
  });
});

describe("ByteRanges laws", () => {
  test("union and intersection are commutative", () => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        expect(a.union(b).equals(b.union(a))).toBe(true);
        expect(a.intersection(b).equals(b.intersection(a))).toBe(true);
      }),
    );
  });

  test("union and intersection are associative", () => {
    fc.assert(
      fc.property(setArb, setArb, setArb, (a, b, c) => {
        expect(
          a
            .union(b)
            .union(c)
            .equals(a.union(b.union(c))),
        ).toBe(true);
        expect(
          a
            .intersection(b)
            .intersection(c)
            .equals(a.intersection(b.intersection(c))),
        ).toBe(true);
      }),
    );
  });

  test("union and intersection are idempotent", () => {
    fc.assert(
      fc.property(setArb, (a) => {
        expect(a.union(a).equals(a)).toBe(true);
        expect(a.intersection(a).equals(a)).toBe(true);
        expect(a.difference(a).isEmpty).toBe(true);
      }),
    );
  });

  test("difference then union restores: (a − b) ∪ b = a ∪ b and (a − b) ∪ (a ∩ b) = a", () => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        expect(a.difference(b).union(b).equals(a.union(b))).toBe(true);
        expect(a.difference(b).union(a.intersection(b)).equals(a)).toBe(true);
        expect(a.difference(b).intersection(b).isEmpty).toBe(true);
      }),
    );
  });

  test("intersection distributes over union", () => {
    fc.assert(
      fc.property(setArb, setArb, setArb, (a, b, c) => {
        const left = a.intersection(b.union(c));
        const right = a.intersection(b).union(a.intersection(c));
        expect(left.equals(right)).toBe(true);
      }),
    );
  });

  test("complementWithin plus what is held inside the range is the whole range", () => {
    fc.assert(
      fc.property(setArb, rangeArb, (a, range) => {
        const whole = ByteRanges.of(range);
        expect(a.complementWithin(range).union(a.intersection(whole)).equals(whole)).toBe(true);
      }),
    );
  });
});

describe("ByteRanges as plain data", () => {
  test("toPairs and fromPairs round-trip", () => {
    fc.assert(
      fc.property(setArb, (a) => {
        expect(ByteRanges.fromPairs(a.toPairs()).equals(a)).toBe(true);
        expect(JSON.parse(JSON.stringify(a.toPairs()))).toEqual(a.toPairs());
      }),
    );
  });

  test("fromPairs normalises and refuses invalid pairs", () => {
    expect(
      ByteRanges.fromPairs([
        [5, 10],
        [0, 5],
      ]).toPairs(),
    ).toEqual([[0, 10]]);
    expect(() => ByteRanges.fromPairs([[10, 5]])).toThrow(RangeError);
    expect(() => ByteRanges.fromPairs([[-1, 5]])).toThrow(RangeError);
  });

  test("iterates its ranges in order and prints them", () => {
    const set = ByteRanges.of(r(30, 40), r(0, 10));
    expect([...set].map((x) => x.start)).toEqual([0, 30]);
    expect(set.toString()).toBe("{[0, 10), [30, 40)}");
  });

  test("works near the largest safe offset", () => {
    const top = Number.MAX_SAFE_INTEGER;
    const a = ByteRanges.of(r(top - 10, top), r(0, 10));
    const b = ByteRanges.of(r(top - 5, top));
    expect(a.difference(b).toPairs()).toEqual([
      [0, 10],
      [top - 10, top - 5],
    ]);
    expect(a.totalLength).toBe(20);
    expect(a.contains(top - 1)).toBe(true);
  });
});
