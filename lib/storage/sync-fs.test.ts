import { expect, test } from "bun:test";
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyFileRange, flushesMade, syncFilesystem } from "./sync-fs.ts";
import { tempRootEachTest } from "./test-support.ts";

const t = tempRootEachTest();

test("flushes asked for while one runs share the one that follows it", async () => {
  const fd = openSync(t.dir, "r");
  const device = fstatSync(fd, { bigint: true }).dev;
  const before = flushesMade();
  const errnos = await Promise.all(Array.from({ length: 6 }, () => syncFilesystem(fd, device)));
  expect(errnos).toEqual([0, 0, 0, 0, 0, 0]);
  expect(flushesMade() - before).toBe(2);
  expect(await syncFilesystem(fd, device)).toBe(0);
  expect(flushesMade() - before).toBe(3);
  closeSync(fd);
});

test("copyFileRange copies the asked range between open files, fewer bytes past the end", async () => {
  writeFileSync(join(t.dir, "in"), "0123456789");
  writeFileSync(join(t.dir, "out"), "abcdefghij");
  const fdIn = openSync(join(t.dir, "in"), "r");
  const fdOut = openSync(join(t.dir, "out"), "r+");
  expect(await copyFileRange(fdIn, 2, fdOut, 4, 3)).toEqual({ bytes: 3, errno: 0 });
  expect(await copyFileRange(fdIn, 8, fdOut, 0, 5)).toEqual({ bytes: 2, errno: 0 });
  closeSync(fdIn);
  closeSync(fdOut);
  expect(readFileSync(join(t.dir, "out"), "utf8")).toBe("89cd234hij");
});
