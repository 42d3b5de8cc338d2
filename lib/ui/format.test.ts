import { expect, test } from "bun:test";
import { formatBytes, formatDuration, formatPath, formatRate, rateAndEta } from "./format.ts";

test.each([
  [0, "0 B"],
  [1023, "1023 B"],
  [1024, "1.00 KiB"],
  [1536, "1.50 KiB"],
  [50 * 1024 * 1024, "50.0 MiB"],
  [3 * 1024 ** 3, "3.00 GiB"],
  [500 * 1024 ** 3, "500 GiB"],
])("formatBytes(%p) = %p", (n, text) => {
  expect(formatBytes(n)).toBe(text);
});

test.each([
  [0, "0.0s"],
  [0.41, "0.4s"],
  [59.4, "59s"],
  [185, "3m05s"],
  [7620, "2h07m"],
  [Number.NaN, "?"],
  [-1, "?"],
])("formatDuration(%p) = %p", (s, text) => {
  expect(formatDuration(s)).toBe(text);
});

test("rate and eta follow from progress", () => {
  expect(formatRate(2048)).toBe("2.00 KiB/s");
  expect(rateAndEta(50, 100, 1000)).toEqual({ rate: 50, etaSeconds: 1 });
  expect(Number.isNaN(rateAndEta(0, 100, 0).etaSeconds)).toBe(true);
});

test.each([
  ["docs/a b.txt", "docs/a b.txt"],
  ["été/日本語 -rf", "été/日本語 -rf"],
  ["odd/line\nbreak", '"odd/line\\nbreak"'],
  ["tab\there", '"tab\\there"'],
  ["esc\u001b[31m", '"esc\\u001b[31m"'],
])("a path in a log line: %p is shown as %p", (path, shown) => {
  expect(formatPath(path)).toBe(shown);
});
