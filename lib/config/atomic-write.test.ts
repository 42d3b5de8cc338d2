import { afterAll, expect, test } from "bun:test";
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-write.ts";

const dir = mkdtempSync(join(tmpdir(), "realize-atomic-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a new file gets the given mode and the text", async () => {
  const file = join(dir, "new.txt");
  expect(await writeFileAtomic(file, "hello", { mode: 0o640 })).toBe(true);
  expect(readFileSync(file, "utf8")).toBe("hello");
  expect(statSync(file).mode & 0o777).toBe(0o640);
});

test("replacing keeps the existing file's mode and leaves no temp file", async () => {
  const file = join(dir, "keep-mode.txt");
  writeFileSync(file, "old");
  chmodSync(file, 0o604);
  await writeFileAtomic(file, "new", { mode: 0o600 });
  expect(readFileSync(file, "utf8")).toBe("new");
  expect(statSync(file).mode & 0o777).toBe(0o604);
  expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
});

test("exclusive never replaces an existing file", async () => {
  const file = join(dir, "exclusive.txt");
  expect(await writeFileAtomic(file, "first", { exclusive: true })).toBe(true);
  expect(await writeFileAtomic(file, "second", { exclusive: true })).toBe(false);
  expect(readFileSync(file, "utf8")).toBe("first");
  expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
});

test("of many concurrent exclusive writers exactly one wins, whole", async () => {
  const file = join(dir, "race.txt");
  const texts = Array.from({ length: 20 }, (_, i) => `writer ${i}\n`.repeat(1000));
  const won = await Promise.all(texts.map((t) => writeFileAtomic(file, t, { exclusive: true })));
  expect(won.filter(Boolean)).toHaveLength(1);
  expect(readFileSync(file, "utf8")).toBe(texts[won.indexOf(true)]!);
});

test("a symlinked file stays a symlink and its target gets the text", async () => {
  const target = join(dir, "target.txt");
  const link = join(dir, "link.txt");
  writeFileSync(target, "old");
  symlinkSync(target, link);
  await writeFileAtomic(link, "new");
  expect(lstatSync(link).isSymbolicLink()).toBe(true);
  expect(readFileSync(target, "utf8")).toBe("new");
});

test("a directory that does not exist is an io error naming the file", async () => {
  const file = join(dir, "missing", "x.txt");
  await expect(writeFileAtomic(file, "x")).rejects.toMatchObject({ data: { file } });
});
