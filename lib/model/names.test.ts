import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { checkName, NAME_MAX_LENGTH } from "./names.ts";

describe("checkName", () => {
  test.each([
    "a",
    "laptop",
    "nas-2",
    "home_server",
    "-",
    "_",
    "-leading-dash",
    "0",
    "x".repeat(NAME_MAX_LENGTH),
  ])("accepts %p", (name) => {
    expect(checkName("peer", name)).toBeUndefined();
    expect(checkName("arena", name)).toBeUndefined();
  });

  test.each([
    ["", "is empty"],
    ["x".repeat(NAME_MAX_LENGTH + 1), "has 65 characters"],
    ["Laptop", 'has "L"'],
    ["my laptop", 'has " "'],
    ["a.b", 'has "."'],
    ["a/b", 'has "/"'],
    ["..", 'has "."'],
    ["café", 'has "é"'],
    ["ａ", 'has "ａ"'],
    ["a\0", 'has "\\u0000"'],
    ["a\n", 'has "\\n"'],
    ["😀", 'has "😀"'],
  ])("refuses %p saying it %s", (name, why) => {
    const reason = checkName("arena", name);
    expect(reason).toContain("arena name");
    expect(reason).toContain(why);
    if (name !== "") expect(reason).toContain(JSON.stringify(name));
  });

  test("names the kind it was asked about", () => {
    expect(checkName("peer", "Bad")).toStartWith('peer name "Bad"');
    expect(checkName("arena", "Bad")).toStartWith('arena name "Bad"');
  });

  test("accepts exactly the strings of 1..64 characters from a-z 0-9 _ -", () => {
    const allowed = /^[a-z0-9_-]{1,64}$/;
    const alphabet = fc.constantFrom(..."abcxyz0189_-A Z./é😀\0");
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 70 }), (name) => {
        expect(checkName("peer", name) === undefined).toBe(allowed.test(name));
      }),
    );
  });
});
