import { describe, expect, test } from "bun:test";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { rejection } from "../../fixtures/rejection.ts";
import { ArenaPath } from "../model/arena-path.ts";
import { RealRoot } from "./real-root.ts";
import { tempRootEachTest, writeTree } from "./test-support.ts";

const p = (text: string) => ArenaPath.parse(text);

const t = tempRootEachTest();

describe("RealRoot", () => {
  test("open refuses a root that is missing or a file", async () => {
    expect((await rejection(RealRoot.open(join(t.dir, "nope")))).code).toBe("not_found");
    await writeTree(t.dir, { f: "x" });
    expect((await rejection(RealRoot.open(join(t.dir, "f")))).code).toBe("not_found");
  });

  test.each([
    ["a b/c d.txt"],
    ["ünïcødé/日本語.txt"],
    ["-rf/--help"],
    ["deep/a/b/c/d/e/f/g/h/i/j/k/file"],
  ])("reads %p byte for byte", async (name) => {
    await writeTree(t.dir, { [name]: "content of the file" });
    const bytes = await t.root.readRange(p(name), 11, 3);
    expect(Buffer.from(bytes).toString()).toBe("the");
    expect(Buffer.from(await t.root.readRange(p(name), 0, 1000)).toString()).toBe(
      "content of the file",
    );
  });

  test("a symlink to a directory outside the root is refused as a parent, by name", async () => {
    await writeTree(t.outside, { "secret.txt": "secret" });
    await writeTree(t.dir, { etc: { link: t.outside } });
    const e = await rejection(t.root.readRange(p("etc/secret.txt"), 0, 10));
    expect(e.code).toBe("bad_path");
    expect(e.message).toContain('"etc/secret.txt"');
    expect(e.message).toContain('"etc" is a symlink');
    expect(e.data).toMatchObject({ path: "etc/secret.txt", at: "etc" });
    await rejection(t.root.lstat(p("etc/secret.txt")));
    await rejection(t.root.ensureDir(p("etc/sub")));
    expect(await readdir(t.outside)).toEqual(["secret.txt"]);
  });

  test("a symlink to /etc inside the root never lets a read land in /etc", async () => {
    await writeTree(t.dir, { etc: { link: "/etc" }, passwd: { link: "/etc/passwd" } });
    expect((await rejection(t.root.readRange(p("etc/passwd"), 0, 10))).code).toBe("bad_path");
    expect((await rejection(t.root.readRange(p("passwd"), 0, 10))).code).toBe("bad_path");
    expect((await rejection(t.root.openRead(p("passwd")))).message).toContain("symlink");
  });

  test("a file where a directory is needed is refused by name", async () => {
    await writeTree(t.dir, { a: "file" });
    const e = await rejection(t.root.resolve(p("a/b")));
    expect(e.code).toBe("bad_path");
    expect(e.message).toContain('"a" is a file');
  });

  test("missing parents are no obstacle to resolve, and lstat says undefined", async () => {
    expect(await t.root.resolve(p("x/y/z"))).toBe(join(t.dir, "x/y/z"));
    expect(await t.root.lstat(p("x/y/z"))).toBeUndefined();
  });

  test("readChunks streams a range in chunks and names a file that ended early", async () => {
    const data = Buffer.alloc(1000, 7);
    data.write("hello", 500);
    await writeTree(t.dir, { f: data });
    const chunks: Uint8Array[] = [];
    for await (const chunk of t.root.readChunks(p("f"), 100, 850, 300)) chunks.push(chunk);
    expect(chunks.map((c) => c.length)).toEqual([300, 300, 250]);
    expect(Buffer.concat(chunks)).toEqual(data.subarray(100, 950));
    const e = await rejection(
      (async () => {
        for await (const _ of t.root.readChunks(p("f"), 900, 200)) void _;
      })(),
    );
    expect(e.code).toBe("changed");
    expect(e.message).toContain(join(t.dir, "f"));
  });

  test("readLink gives the link text without following it", async () => {
    await writeTree(t.dir, { l: { link: "../../nowhere/ä b" } });
    expect(await t.root.readLink(p("l"))).toBe("../../nowhere/ä b");
    await writeTree(t.dir, { f: "x" });
    expect((await rejection(t.root.readLink(p("f")))).code).toBe("bad_path");
  });

  test("openRead refuses directories and FIFOs without blocking", async () => {
    await writeTree(t.dir, { d: { dir: true } });
    expect(Bun.spawnSync(["mkfifo", join(t.dir, "fifo")]).exitCode).toBe(0);
    expect((await rejection(t.root.openRead(p("d")))).code).toBe("bad_path");
    expect((await rejection(t.root.openRead(p("fifo")))).message).toContain("not a regular file");
  });

  test("ensureDir creates every missing level and accepts existing ones", async () => {
    await t.root.ensureDir(p("a/b c/ü"));
    await t.root.ensureDir(p("a/b c/ü/d"));
    expect((await t.root.lstat(p("a/b c/ü/d")))?.isDirectory()).toBe(true);
  });

  test("list leaves out partial files", async () => {
    await writeTree(t.dir, { "a.txt": "1", ".a.txt.realize-partial": "2", sub: { dir: true } });
    expect((await t.root.list()).sort()).toEqual(["a.txt", "sub"]);
    expect(await readFile(join(t.dir, ".a.txt.realize-partial"), "utf8")).toBe("2");
  });
});
