import { beforeEach, describe, expect, test } from "bun:test";
import { lstat, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { rejection } from "../../fixtures/rejection.ts";
import { ArenaPath } from "../model/arena-path.ts";
import { RealEdits } from "./real-edits.ts";
import { tempRootEachTest, writeTree } from "./test-support.ts";
import { walkArena } from "./walk.ts";

const p = (text: string) => ArenaPath.parse(text);

const t = tempRootEachTest();
let edits: RealEdits;
beforeEach(() => {
  edits = new RealEdits(t.root);
});

describe("makeDir", () => {
  test("creates empty directories, nested, with odd names", async () => {
    const entry = await edits.makeDir(p("a b/ü/-x"));
    expect(entry.kind).toBe("dir");
    expect((await walkArena(t.root)).entries.map((e) => `${e.kind} ${e.path.text}`)).toEqual([
      "dir a b",
      "dir a b/ü",
      "dir a b/ü/-x",
    ]);
  });

  test("a symlink where the source has a directory is refused by name; nothing lands outside", async () => {
    await writeTree(t.dir, { photos: { link: t.outside } });
    const e = await rejection(edits.makeDir(p("photos/2024")));
    expect(e.code).toBe("bad_path");
    expect(e.message).toContain('"photos/2024"');
    expect(e.message).toContain('"photos" is a symlink');
    expect(await readdir(t.outside)).toEqual([]);
  });

  test("a file where the directory goes is refused", async () => {
    await writeTree(t.dir, { d: "file" });
    expect((await rejection(edits.makeDir(p("d")))).message).toContain("is a file");
  });
});

describe("placeSymlink", () => {
  test.each([["/etc"], ["../../outside/x"], ["no such target"], ["ü/日本"]])(
    "stores %p as link text, never followed",
    async (target) => {
      const entry = await edits.placeSymlink(p("dir/link"), target, 1_500_000_000_123_456_789n);
      expect(await readlink(join(t.dir, "dir/link"))).toBe(target);
      expect(entry).toMatchObject({ kind: "symlink", target, mtimeNs: 1_500_000_000_123_456_789n });
      expect((await lstat(join(t.dir, "dir/link"), { bigint: true })).mtimeNs).toBe(
        1_500_000_000_123_456_789n,
      );
      expect(await readdir(join(t.dir, "dir"))).toEqual(["link"]);
    },
  );

  test("replaces a file or a link atomically, leaving what it pointed to alone", async () => {
    await writeTree(t.outside, { victim: "precious" });
    await writeTree(t.dir, { f: "file", l: { link: join(t.outside, "victim") } });
    await edits.placeSymlink(p("f"), "new-f");
    await edits.placeSymlink(p("l"), "new-l");
    expect(await readlink(join(t.dir, "f"))).toBe("new-f");
    expect(await readlink(join(t.dir, "l"))).toBe("new-l");
    expect(await readFile(join(t.outside, "victim"), "utf8")).toBe("precious");
  });

  test("a leftover partial of the link is replaced", async () => {
    await writeTree(t.dir, { ".l.realize-partial": { link: "stale" } });
    await edits.placeSymlink(p("l"), "fresh");
    expect(await readdir(t.dir)).toEqual(["l"]);
  });

  test("refuses a directory in place, a symlinked parent, and an empty target", async () => {
    await writeTree(t.dir, { d: { dir: true }, out: { link: t.outside } });
    expect((await rejection(edits.placeSymlink(p("d"), "x"))).message).toContain(
      "a directory stands there",
    );
    expect((await rejection(edits.placeSymlink(p("out/l"), "x"))).message).toContain(
      '"out" is a symlink',
    );
    expect((await rejection(edits.placeSymlink(p("e"), ""))).code).toBe("bad_path");
    expect(await readdir(t.outside)).toEqual([]);
  });
});

describe("setMeta", () => {
  const meta = { mtimeNs: 1_400_000_000_987_654_321n, mode: 0o751 };

  test.each([
    ["file", { x: "content" }],
    ["dir", { x: { dir: true } }],
    ["symlink", { x: { link: "/etc/passwd" } }],
  ] as const)(
    "sets the exact mtime (and mode) of a %s without following it",
    async (kind, tree) => {
      await writeTree(t.dir, tree);
      const entry = await edits.setMeta(p("x"), kind, meta);
      const s = await lstat(join(t.dir, "x"), { bigint: true });
      expect(s.mtimeNs).toBe(meta.mtimeNs);
      expect(entry.mtimeNs).toBe(meta.mtimeNs);
      if (kind !== "symlink") expect(Number(s.mode) & 0o777).toBe(0o751);
      else expect(entry.target).toBe("/etc/passwd");
    },
  );

  test("refuses a path of another kind, and so never reaches through a link", async () => {
    await writeTree(t.outside, { victim: "v" });
    await writeTree(t.dir, { l: { link: join(t.outside, "victim") }, out: { link: t.outside } });
    const before = await lstat(join(t.outside, "victim"), { bigint: true });
    expect((await rejection(edits.setMeta(p("l"), "file", meta))).message).toContain(
      "it is a symlink here",
    );
    expect((await rejection(edits.setMeta(p("out/victim"), "file", meta))).code).toBe("bad_path");
    expect((await rejection(edits.setMeta(p("gone"), "file", meta))).code).toBe("not_found");
    const after = await lstat(join(t.outside, "victim"), { bigint: true });
    expect([after.mtimeNs, after.mode]).toEqual([before.mtimeNs, before.mode]);
  });
});

describe("removals for --move", () => {
  test("removeFile deletes the copied version, a symlink as a link, and accepts a missing file", async () => {
    await writeTree(t.outside, { victim: "precious" });
    await writeTree(t.dir, { f: "content", l: { link: join(t.outside, "victim") } });
    const [f] = (await walkArena(t.root)).entries;
    await edits.removeFile(p("f"), f);
    await edits.removeFile(p("l"));
    await edits.removeFile(p("gone"));
    expect(await readdir(t.dir)).toEqual([]);
    expect(await readFile(join(t.outside, "victim"), "utf8")).toBe("precious");
  });

  test("removeFile keeps a file changed since it was copied", async () => {
    await writeTree(t.dir, { f: "version 1" });
    const [copied] = (await walkArena(t.root)).entries;
    await writeFile(join(t.dir, "f"), "version 2");
    const e = await rejection(edits.removeFile(p("f"), copied));
    expect(e.code).toBe("changed");
    expect(e.message).toContain(join(t.dir, "f"));
    expect(await readFile(join(t.dir, "f"), "utf8")).toBe("version 2");
  });

  test("removeFile refuses a directory and a path through a symlink", async () => {
    await writeTree(t.outside, { f: "precious" });
    await writeTree(t.dir, { d: { dir: true }, out: { link: t.outside } });
    expect((await rejection(edits.removeFile(p("d")))).code).toBe("bad_path");
    expect((await rejection(edits.removeFile(p("out/f")))).code).toBe("bad_path");
    expect(await readdir(t.outside)).toEqual(["f"]);
  });

  test("pruneEmptyDirs removes emptied directories upwards, never the root, and stops at a non-empty one", async () => {
    await writeTree(t.dir, { "a/b/c": { dir: true }, "a/keep": "", "x/y": { dir: true } });
    expect((await edits.pruneEmptyDirs(p("a/b/c"))).map((d) => d.text)).toEqual(["a/b/c", "a/b"]);
    expect((await edits.pruneEmptyDirs(p("x/y"))).map((d) => d.text)).toEqual(["x/y", "x"]);
    expect(await readdir(t.dir)).toEqual(["a"]);
  });

  test("a directory holding only a partial is not empty", async () => {
    await writeTree(t.dir, { "d/.f.realize-partial": "half" });
    expect(await edits.removeEmptyDir(p("d"))).toBe(false);
  });

  test("removeEmptyDir refuses a symlink to a directory", async () => {
    await writeTree(t.dir, { l: { link: t.outside } });
    expect((await rejection(edits.removeEmptyDir(p("l")))).code).toBe("bad_path");
  });
});
