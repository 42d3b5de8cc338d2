import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { ByteRange } from "../model/byte-range.ts";
import { ByteRanges } from "../model/byte-ranges.ts";
import { SplicedRanges } from "./spliced-ranges.ts";

const ranges = (...pairs: [number, number][]) => ByteRanges.fromPairs(pairs) as Iterable<ByteRange>;

describe("SplicedRanges", () => {
  const splice = new SplicedRanges(ranges([10, 20], [50, 55], [100, 130]));

  test("maps splice offsets to file pieces across range boundaries", () => {
    expect(splice.length).toBe(45);
    expect(splice.pieces(8, 10)).toEqual([
      { offset: 8, fileOffset: 18, length: 2 },
      { offset: 10, fileOffset: 50, length: 5 },
      { offset: 15, fileOffset: 100, length: 3 },
    ]);
    expect(splice.pieces(40, 100)).toEqual([{ offset: 40, fileOffset: 125, length: 5 }]);
  });

  test("clip keeps what a shorter file holds", () => {
    expect(splice.clip(52).all()).toEqual([
      { offset: 0, fileOffset: 10, length: 10 },
      { offset: 10, fileOffset: 50, length: 2 },
    ]);
    expect(splice.clip(5).length).toBe(0);
  });

  test("property: the pieces of any window are that window of the spliced bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        fc.nat(200),
        fc.nat(200),
        (gaps, offset, length) => {
          const file = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
          const pairs: [number, number][] = [];
          let at = 0;
          for (const [i, g] of gaps.entries()) {
            at += g;
            pairs.push([at, at + g + i]);
            at += g + i + 1;
          }
          const s = new SplicedRanges(ranges(...pairs.filter(([a, b]) => b > a)));
          const spliced = Buffer.concat(
            s.all().map((p) => file.subarray(p.fileOffset, p.fileOffset + p.length)),
          );
          const window = Buffer.concat(
            s
              .pieces(offset, length)
              .map((p) => file.subarray(p.fileOffset, p.fileOffset + p.length)),
          );
          expect(window).toEqual(spliced.subarray(offset, offset + length));
        },
      ),
    );
  });
});
