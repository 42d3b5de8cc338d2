import { expect, test } from "bun:test";
import { checkName } from "./names.ts";

test.each(["nas", "a", "laptop-2", "my_photos", "0", "-", "x".repeat(64)])(
  "%p is a name",
  (name) => {
    expect(checkName(name)).toBeUndefined();
  },
);

test.each([
  ["", "must not be empty"],
  ["x".repeat(65), "at most 64 characters, not 65"],
  ["NAS", '"NAS" has "N"'],
  ["my photos", 'has " "'],
  ["a.b", 'has "."'],
  ["é", 'has "é"'],
  ["a/b", 'has "/"'],
])("%p is refused: %s", (name, reason) => {
  expect(checkName(name)).toContain(reason);
});
