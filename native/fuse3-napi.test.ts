import { expect, test } from "bun:test";
import { loadFuse3 } from "./fuse3-napi.ts";

test("the binding loads and reports the libfuse 3 it links against", () => {
  const fuse = loadFuse3();
  const v = fuse.version();
  expect(v.built).toMatch(/^3\.\d+$/);
  expect(v.runtime).toMatch(/^3\.\d+/);
  expect(v.runtimeNumber).toBeGreaterThanOrEqual(300);
  expect(typeof fuse.deviceStatus()).toBe("string");
});
