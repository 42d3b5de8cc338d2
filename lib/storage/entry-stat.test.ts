import { describe, expect, test } from "bun:test";
import { lstatSync } from "node:fs";
import { utimes } from "node:fs/promises";
import { join } from "node:path";
import { entryStatOf, entryStatter } from "./entry-stat.ts";
import { libc } from "./libc.ts";
import { tempRootEachTest, writeTree } from "./test-support.ts";

const t = tempRootEachTest();

describe("entryStatter", () => {
  test("gives what node:fs's bigint lstat gives, for files, directories and symlinks", async () => {
    await writeTree(t.dir, {
      "file.txt": "hello",
      "sub/": { dir: true },
      link: { link: "sub" },
      "日本 名\n前": "x",
    });
    await utimes(join(t.dir, "file.txt"), 1_700_000_000.123456, 1_600_000_000.987654);
    Bun.spawnSync(["mkfifo", join(t.dir, "fifo")]);
    if (process.platform === "linux") expect((await libc())?.statx).toBeFunction();
    const dir = (await entryStatter())(t.dir);
    try {
      for (const name of ["file.txt", "sub", "link", "日本 名\n前", "fifo"]) {
        const expected = entryStatOf(lstatSync(join(t.dir, name), { bigint: true }));
        expect(dir.lstat(name)).toEqual(expected);
      }
      expect(dir.lstat("link")?.kind).toBe("symlink");
      expect(dir.lstat("fifo")?.kind).toBeUndefined();
      expect(dir.lstat("file.txt")?.mtimeNs).toBe(
        lstatSync(join(t.dir, "file.txt"), { bigint: true }).mtimeNs,
      );
    } finally {
      dir.close();
    }
  });

  test("a vanished entry is undefined; any other failure throws node:fs's error", async () => {
    await writeTree(t.dir, { "file.txt": "x" });
    const statter = await entryStatter();
    const dir = statter(t.dir);
    try {
      expect(dir.lstat("gone")).toBeUndefined();
    } finally {
      dir.close();
    }
    const notDir = statter(join(t.dir, "file.txt"));
    expect(() => notDir.lstat("x")).toThrow(expect.objectContaining({ code: "ENOTDIR" }));
    notDir.close();
  });
});
