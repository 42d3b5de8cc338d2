import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { formatSize, parseRate, parseSize } from "./size.ts";

describe("parseSize", () => {
  test.each([
    [0, 0],
    [1024, 1024],
    ["0", 0],
    ["512", 512],
    ["1B", 1],
    ["10KB", 10_000],
    ["10kB", 10_000],
    ["1MB", 1_000_000],
    ["2GB", 2_000_000_000],
    ["1TB", 1_000_000_000_000],
    ["1KiB", 1024],
    ["1MiB", 1024 ** 2],
    ["10GiB", 10 * 1024 ** 3],
    ["2TiB", 2 * 1024 ** 4],
    ["1.5GiB", 1.5 * 1024 ** 3],
    ["0.5KiB", 512],
    ["1.5KB", 1500],
    ["0.001KB", 1],
    ["10 GiB", 10 * 1024 ** 3],
  ] as const)("%p is %p bytes", (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  test.each([
    ["10XB", 'unknown unit "XB"'],
    ["10gib", 'unknown unit "gib"'],
    ["10Mb", 'unknown unit "Mb"'],
    ["-1MB", "must not be negative"],
    [-1, "must not be negative"],
    ["", "must not be empty"],
    ["  ", "must not be empty"],
    [1.5, "must be a whole number of bytes"],
    ["1.5", "is not a whole number of bytes"],
    ["1.5B", "is not a whole number of bytes"],
    ["0.0001KB", "is not a whole number of bytes"],
    ["GiB", "is not a size"],
    [".5GiB", "is not a size"],
    ["5.GiB", "is not a size"],
    ["1e6", 'unknown unit "e6"'],
    ["10 ", "trailing space"],
    ["10  GiB", 'unknown unit " GiB"'],
    ["10GiB/s", 'a size takes no "/s"'],
    ["9008TB", "too large"],
    [2 ** 53, "too large"],
    [Number.NaN, "must be a number of bytes"],
    [Number.POSITIVE_INFINITY, "must be a number of bytes"],
  ] as const)("%p is refused: %s", (input, reason) => {
    const result = parseSize(input);
    expect(typeof result).toBe("string");
    expect(result as string).toContain(reason);
  });

  test("every whole number of bytes in a binary unit parses exactly", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 20 }),
        fc.constantFrom(["KiB", 1024], ["MiB", 1024 ** 2], ["GiB", 1024 ** 3], ["KB", 1000]),
        (n, [unit, factor]) => parseSize(`${n}${unit}`) === n * (factor as number),
      ),
    );
  });

  test("arbitrary text never throws and is bytes or a reason", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const result = parseSize(text);
        return typeof result === "string" || (Number.isSafeInteger(result) && result >= 0);
      }),
    );
  });
});

describe("parseRate", () => {
  test.each([
    ["20MB/s", 20_000_000],
    ["20MB", 20_000_000],
    ["1KiB/s", 1024],
    [1, 1],
    ["1.5MB/s", 1_500_000],
  ] as const)("%p is %p bytes/s", (input, rate) => {
    expect(parseRate(input)).toBe(rate);
  });

  test.each([
    [0, "more than 0"],
    ["0MB/s", "more than 0"],
    ["10XB/s", 'unknown unit "XB"'],
    ["-5MB/s", "must not be negative"],
    ["/s", "must not be empty"],
    ["20Mb/s", 'unknown unit "Mb"'],
  ] as const)("%p is refused: %s", (input, reason) => {
    expect(parseRate(input) as string).toContain(reason);
  });
});

describe("formatSize", () => {
  test.each([
    [0, "0B"],
    [999, "999B"],
    [1000, "1KB"],
    [1024, "1KiB"],
    [1_500_000, "1.5MB"],
    [10 * 1024 ** 3, "10GiB"],
    [1_234_567, "1.2MiB"],
  ])("%p renders as %p", (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  test("whole multiples of a unit render exactly and parse back", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.constantFrom(1000, 1024, 1000 ** 2, 1024 ** 3, 1000 ** 4),
        (n, unit) => parseSize(formatSize(n * unit)) === n * unit,
      ),
    );
  });

  test("any rendering is within 5% of the bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 50 }), (bytes) => {
        const m = /^([\d.]+)(\w+)$/.exec(formatSize(bytes));
        const factor = {
          B: 1,
          KB: 1e3,
          MB: 1e6,
          GB: 1e9,
          TB: 1e12,
          KiB: 1024,
          MiB: 1024 ** 2,
          GiB: 1024 ** 3,
          TiB: 1024 ** 4,
        }[m?.[2] ?? ""];
        return factor !== undefined && Math.abs(Number(m?.[1]) * factor - bytes) <= bytes * 0.05;
      }),
    );
  });
});
