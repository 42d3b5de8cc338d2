import { expect, test } from "bun:test";
import { parseDuration } from "./duration.ts";

test.each([
  ["90", 90_000],
  ["1.5", 1500],
  ["45s", 45_000],
  ["5m", 300_000],
  ["1h30m", 5_400_000],
  ["250ms", 250],
  ["1d", 86_400_000],
])("parseDuration(%p) = %p ms", (text, ms) => {
  expect(parseDuration(text)).toBe(ms);
});

test.each(["", "-5s", "5x", "s", "5 m", "1h 30m", "abc"])(
  "parseDuration(%p) is refused",
  (text) => {
    expect(typeof parseDuration(text)).toBe("string");
  },
);
