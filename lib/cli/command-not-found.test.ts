import { expect, test } from "bun:test";
import { closestCommand, editDistance } from "./command-not-found.ts";

test.each([
  ["id", "id", 0],
  ["pnig", "ping", 2],
  ["", "abc", 3],
  ["serve", "server", 1],
])("editDistance(%p, %p) = %p", (a, b, d) => {
  expect(editDistance(a, b)).toBe(d);
});

test("suggests a close command and nothing for junk", () => {
  const known = ["init", "id", "peer:add", "peer:list", "serve"];
  expect(closestCommand("inti", known)).toBe("init");
  expect(closestCommand("peer:lst", known)).toBe("peer:list");
  expect(closestCommand("zzzzzzzzzz", known)).toBeUndefined();
});
