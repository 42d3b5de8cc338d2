import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type FileHash, MerkleHasher } from "../hash/index.ts";
import { ArenaPath } from "../model/arena-path.ts";
import { DurableBatch, type FlushMode } from "./durable-batch.ts";
import { PartialFile } from "./partial-file.ts";
import { type TempRoot, tempRoot, writeTree } from "./test-support.ts";
import { walkArena } from "./walk.ts";

const p = (text: string) => ArenaPath.parse(text);
const hashOf = (data: Uint8Array): FileHash => new MerkleHasher().update(data).digest();
const bytes = (text: string) => new TextEncoder().encode(text);

let t: TempRoot;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(() => t.cleanup());

async function queue(batch: DurableBatch, path: string, data: Uint8Array, claimed = data) {
  const partial = await PartialFile.open(t.root, p(path));
  await partial.write(0, data);
  batch.add(partial, hashOf(claimed), { mtimeNs: 1_600_000_000_000_000_001n, mode: 0o750 });
}

describe.each<FlushMode>(["syncfs", "fsync"])("DurableBatch (%s)", (flush) => {
  test("commits every file with its content, mtime and mode; no partial is left", async () => {
    const batch = new DurableBatch(t.root, { flush });
    const paths = ["a", "d/b", "d/e/c", "ü n/-x", "zero"];
    for (const path of paths)
      await queue(batch, path, bytes(path === "zero" ? "" : `content of ${path}`));
    expect(batch.count).toBe(5);
    const results = await batch.commit();
    expect(batch.count).toBe(0);
    expect(results.map((r) => [r.path.text, r.error?.code])).toEqual(
      paths.map((x) => [x, undefined]),
    );
    for (const path of paths) {
      const s = await stat(join(t.dir, path), { bigint: true });
      expect(s.mtimeNs).toBe(1_600_000_000_000_000_001n);
      expect(Number(s.mode) & 0o777).toBe(0o750);
      expect(await readFile(join(t.dir, path), "utf8")).toBe(
        path === "zero" ? "" : `content of ${path}`,
      );
    }
    expect((await walkArena(t.root)).partials).toEqual([]);
  });

  test("a file that fails to verify is a per-file failure; the others land", async () => {
    await writeTree(t.dir, { bad: "old", "dir/x": "" });
    const batch = new DurableBatch(t.root, { flush });
    await queue(batch, "good1", bytes("one"));
    await queue(batch, "bad", bytes("corrupt"), bytes("correct"));
    await queue(batch, "dir", bytes("a directory stands there"));
    await queue(batch, "good2", bytes("two"));
    const results = await batch.commit();
    expect(results.map((r) => [r.path.text, r.error?.code])).toEqual([
      ["good1", undefined],
      ["bad", "hash_mismatch"],
      ["dir", "bad_path"],
      ["good2", undefined],
    ]);
    expect(await readFile(join(t.dir, "bad"), "utf8")).toBe("old");
    expect(await readFile(join(t.dir, "good2"), "utf8")).toBe("two");
    expect((await readdir(t.dir)).sort()).toEqual([
      ".dir.realize-partial",
      "bad",
      "dir",
      "good1",
      "good2",
    ]);
  });

  test("an empty batch commits nothing", async () => {
    expect(await new DurableBatch(t.root, { flush }).commit()).toEqual([]);
  });
});

test("a batch killed at any instant leaves each file old or new, never mixed", async () => {
  const size = 70_000;
  const proc = Bun.spawn(
    ["bun", join(import.meta.dir, "test-crash-writer.ts"), t.dir, "d", String(size), "batch"],
    {
      stdout: "pipe",
      stderr: "inherit",
    },
  );
  const reader = proc.stdout.getReader();
  let seen = "";
  while (seen.split("\n").length < 5) seen += new TextDecoder().decode((await reader.read()).value);
  proc.kill("SIGKILL");
  await proc.exited;
  for (let i = 0; i < 20; i++) {
    const data = new Uint8Array(await readFile(join(t.dir, "d", String(i))));
    expect(data.length).toBe(size);
    expect(data.every((b) => b === data[0])).toBe(true);
  }
});
