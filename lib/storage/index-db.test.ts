import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { open, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { hashBytes, MerkleHasher } from "../hash/index.ts";
import { ArenaPath } from "../model/arena-path.ts";
import { RealizeError } from "../model/errors.ts";
import { IndexDb, type IndexedFile, RACY_WINDOW_NS } from "./index-db.ts";
import type { RealEntry } from "./real-entry.ts";
import { setFileMtime } from "./set-times.ts";
import { type TempRoot, tempRoot, writeTree } from "./test-support.ts";
import { walkArena } from "./walk.ts";

const p = (text: string) => ArenaPath.parse(text);
const T1 = 1_600_000_000_500_000_000n;

let t: TempRoot;
let index: IndexDb;
/** A clock far enough ahead that nothing written by the test is racy. */
const later = () => BigInt(Date.now()) * 1_000_000n + 10n * RACY_WINDOW_NS;

beforeEach(async () => {
  t = await tempRoot();
  index = IndexDb.open(join(t.outside, "state"), { now: later });
});
afterEach(async () => {
  index.close();
  await t.cleanup();
});

async function entryOf(path: string): Promise<RealEntry> {
  const found = (await walkArena(t.root)).entries.find((e) => e.path.text === path);
  if (found === undefined) throw new Error(`${path} not listed`);
  return found;
}

/** Rewrites `path` in place (same inode) with `content`, then sets its mtime to `mtimeNs`. */
async function editInPlace(path: string, content: string, mtimeNs: bigint): Promise<void> {
  const handle = await open(join(t.dir, path), "r+");
  await handle.write(content, 0);
  await setFileMtime(handle.fd, mtimeNs, path);
  await handle.close();
}

describe("IndexDb records", () => {
  const file = (path: string, over: Partial<IndexedFile> = {}): IndexedFile => ({
    path: p(path),
    size: 5,
    mtimeNs: T1,
    ino: 2n ** 64n - 3n,
    ctimeNs: T1 + 1n,
    mode: 0o755,
    hash: hashBytes(new TextEncoder().encode(path)),
    ...over,
  });

  test("record, lookup, leaves, paths and remove round-trip, arena by arena", () => {
    const leaves = new MerkleHasher().update(new Uint8Array(200_000)).digest().leaves;
    index.transaction(() => {
      index.record("photos", file("ü/日本 b.jpg"), leaves);
      index.record("photos", file("-a"), leaves.slice(0, 1));
      index.record("music", file("ü/日本 b.jpg", { size: 9 }), []);
    });
    expect(index.lookup("photos", p("ü/日本 b.jpg"))).toEqual(file("ü/日本 b.jpg"));
    expect(index.lookup("music", p("ü/日本 b.jpg"))?.size).toBe(9);
    expect(index.leaves("photos", p("ü/日本 b.jpg"))?.map((h) => h.toHex())).toEqual(
      leaves.map((h) => h.toHex()),
    );
    expect(index.paths("photos").map((x) => x.text)).toEqual(["-a", "ü/日本 b.jpg"]);
    index.remove("photos", p("-a"));
    expect(index.lookup("photos", p("-a"))).toBeUndefined();
    expect(index.leaves("photos", p("-a"))).toBeUndefined();
    expect(index.paths("music")).toHaveLength(1);
  });

  test("records survive closing and reopening the database", () => {
    index.record("a", file("x"), []);
    index.close();
    index = IndexDb.open(join(t.outside, "state"));
    expect(index.lookup("a", p("x"))).toEqual(file("x"));
  });
});

describe("IndexDb.hashIfChanged", () => {
  test("hashes a new file once, then answers from the index while nothing moved", async () => {
    await writeTree(t.dir, { "a b.txt": "hello world" });
    const entry = await entryOf("a b.txt");
    const first = await index.hashIfChanged("arena", t.root, entry);
    expect(first).toEqual({
      hash: hashBytes(new TextEncoder().encode("hello world")),
      size: 11,
      rehashed: true,
    });
    const second = await index.hashIfChanged("arena", t.root, await entryOf("a b.txt"));
    expect(second.rehashed).toBe(false);
    expect(second.hash.equals(first.hash)).toBe(true);
    expect(index.leaves("arena", p("a b.txt"))).toHaveLength(1);
  });

  test("an edit keeping the size within the same second is seen by its mtime nanoseconds", async () => {
    await writeTree(t.dir, { f: "aaaa" });
    await editInPlace("f", "aaaa", T1);
    await index.hashIfChanged("arena", t.root, await entryOf("f"));
    await editInPlace("f", "bbbb", T1 + 1n);
    const after = await index.hashIfChanged("arena", t.root, await entryOf("f"));
    expect(after.rehashed).toBe(true);
    expect(after.hash.equals(hashBytes(new TextEncoder().encode("bbbb")))).toBe(true);
  });

  test("an edit that even restores the exact mtime is seen by its ctime", async () => {
    await writeTree(t.dir, { f: "aaaa" });
    await editInPlace("f", "aaaa", T1);
    const before = await entryOf("f");
    await index.hashIfChanged("arena", t.root, before);
    await editInPlace("f", "bbbb", T1);
    const entry = await entryOf("f");
    expect([entry.size, entry.mtimeNs, entry.ino]).toEqual([
      before.size,
      before.mtimeNs,
      before.ino,
    ]);
    const after = await index.hashIfChanged("arena", t.root, entry);
    expect(after.rehashed).toBe(true);
    expect(after.hash.equals(hashBytes(new TextEncoder().encode("bbbb")))).toBe(true);
  });

  test("a file replaced by another (new inode) is hashed again", async () => {
    await writeTree(t.dir, { f: "aaaa" });
    await index.hashIfChanged("arena", t.root, await entryOf("f"));
    await writeFile(join(t.dir, "g"), "cccc");
    await rename(join(t.dir, "g"), join(t.dir, "f"));
    const after = await index.hashIfChanged("arena", t.root, await entryOf("f"));
    expect(after.rehashed).toBe(true);
    expect(index.lookup("arena", p("f"))?.ino).toBe((await entryOf("f")).ino);
  });

  test("a record made right after the file changed is racy and not trusted", async () => {
    const realClock = IndexDb.open(join(t.outside, "state"));
    await writeTree(t.dir, { f: "fresh" });
    const entry = await entryOf("f");
    expect((await realClock.hashIfChanged("arena", t.root, entry)).rehashed).toBe(true);
    expect((await realClock.hashIfChanged("arena", t.root, entry)).rehashed).toBe(true);
    realClock.close();
  });

  test("a symlink in place of the file is refused, never followed", async () => {
    await writeTree(t.dir, { f: "aaaa" });
    const entry = await entryOf("f");
    await writeTree(t.dir, { "passwd-link": { link: "/etc/passwd" } });
    await rename(join(t.dir, "passwd-link"), join(t.dir, "f"));
    const e = await index.hashIfChanged("arena", t.root, entry).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RealizeError);
    expect((e as RealizeError).code).toBe("bad_path");
  });
});

describe("IndexDb.current", () => {
  test("gives the recorded hash and leaves while the file is unchanged, nothing once it moved", async () => {
    await writeTree(t.dir, { f: "aaaa" });
    await editInPlace("f", "aaaa", T1);
    const checked = await index.hashIfChanged("arena", t.root, await entryOf("f"));
    const now = index.current("arena", await entryOf("f"));
    expect(now?.hash.equals(checked.hash)).toBe(true);
    expect(now?.leaves.map((h) => h.toHex())).toEqual(
      index.leaves("arena", p("f"))?.map((h) => h.toHex()),
    );
    await editInPlace("f", "bbbb", T1);
    expect(index.current("arena", await entryOf("f"))).toBeUndefined();
  });

  test("a racy record is not current", async () => {
    const realClock = IndexDb.open(join(t.outside, "state"));
    await writeTree(t.dir, { f: "fresh" });
    const entry = await entryOf("f");
    await realClock.hashIfChanged("arena", t.root, entry);
    expect(realClock.current("arena", entry)).toBeUndefined();
    realClock.close();
  });
});

describe("IndexDb kept-back records and preload", () => {
  test("hashIfChanged's records are seen at once and written by flush (or close)", async () => {
    await writeTree(t.dir, { a: "aaaa", b: "bbbb" });
    const other = IndexDb.open(join(t.outside, "state"), { now: later });
    const entry = await entryOf("a");
    const checked = await index.hashIfChanged("arena", t.root, entry);
    expect(other.lookup("arena", p("a"))).toBeUndefined();
    expect(index.lookup("arena", p("a"))?.hash.equals(checked.hash)).toBe(true);
    expect(index.leaves("arena", p("a"))).toHaveLength(1);
    expect(index.current("arena", entry)?.hash.equals(checked.hash)).toBe(true);
    index.flush();
    expect(other.lookup("arena", p("a"))?.hash.equals(checked.hash)).toBe(true);
    await index.hashIfChanged("arena", t.root, await entryOf("b"));
    index.close();
    expect(other.lookup("arena", p("b"))).toBeDefined();
    other.close();
    index = IndexDb.open(join(t.outside, "state"), { now: later });
  });

  test("a record or a removal after a kept-back record wins over it", async () => {
    await writeTree(t.dir, { a: "aaaa", b: "bbbb" });
    await index.hashIfChanged("arena", t.root, await entryOf("a"));
    await index.hashIfChanged("arena", t.root, await entryOf("b"));
    const newer: IndexedFile = { ...index.lookup("arena", p("a"))!, size: 99 };
    index.record("arena", newer, []);
    index.remove("arena", p("b"));
    index.flush();
    expect(index.lookup("arena", p("a"))?.size).toBe(99);
    expect(index.lookup("arena", p("b"))).toBeUndefined();
  });

  test("while preloaded, lookups answer from the rows read at once, and see new records", async () => {
    await writeTree(t.dir, { a: "aaaa", b: "bbbb" });
    await index.hashIfChanged("arena", t.root, await entryOf("a"));
    index.flush();
    const done = index.preload("arena");
    expect((await index.hashIfChanged("arena", t.root, await entryOf("a"))).rehashed).toBe(false);
    expect((await index.hashIfChanged("arena", t.root, await entryOf("b"))).rehashed).toBe(true);
    index.flush();
    expect((await index.hashIfChanged("arena", t.root, await entryOf("b"))).rehashed).toBe(false);
    index.remove("arena", p("a"));
    expect(index.lookup("arena", p("a"))).toBeUndefined();
    done();
    expect(index.lookup("arena", p("b"))).toBeDefined();
  });

  test("a small file that grew past the small size while listed is hashed whole", async () => {
    await writeTree(t.dir, { f: "small" });
    const listed = await entryOf("f");
    const big = new Uint8Array(300 * 1024).fill(3);
    await writeFile(join(t.dir, "f"), big);
    const checked = await index.hashIfChanged("arena", t.root, listed);
    expect(checked.size).toBe(big.length);
    expect(checked.hash.equals(hashBytes(big))).toBe(true);
  });
});
