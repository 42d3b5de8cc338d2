import { describe, expect, test } from "bun:test";
import { chmod, lstat, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type FileHash, MerkleHasher } from "../hash/index.ts";
import { ArenaPath } from "../model/arena-path.ts";
import { DurableBatch, type FlushMode } from "./durable-batch.ts";
import { PartialFile } from "./partial-file.ts";
import { RealRoot } from "./real-root.ts";
import { smallDiskEachTest, tempRootEachTest, writeTree } from "./test-support.ts";
import { walkArena } from "./walk.ts";

const p = (text: string) => ArenaPath.parse(text);
const hashOf = (data: Uint8Array): FileHash => new MerkleHasher().update(data).digest();
const bytes = (text: string) => new TextEncoder().encode(text);

const t = tempRootEachTest();

function queue(batch: DurableBatch, path: string, data: Uint8Array, claimed = data) {
  const meta = { mtimeNs: 1_600_000_000_000_000_001n, mode: 0o750 };
  batch.add({ target: p(path), data, expected: hashOf(claimed), meta });
}

describe.each<FlushMode>(["syncfs", "fsync"])("DurableBatch (%s)", (flush) => {
  test("commits every file with its content, mtime and mode; no partial is left", async () => {
    const batch = new DurableBatch(t.root, { flush });
    const paths = ["a", "d/b", "d/e/c", "ü n/-x", "zero"];
    for (const path of paths)
      queue(batch, path, bytes(path === "zero" ? "" : `content of ${path}`));
    expect(batch.count).toBe(5);
    const results = await batch.commit();
    expect(batch.count).toBe(0);
    expect(results.map((r) => [r.path.text, r.error?.code])).toEqual(
      paths.map((x) => [x, undefined]),
    );
    for (const [i, r] of results.entries()) {
      expect(r.hashed?.leaves).toEqual(
        hashOf(bytes(i === 4 ? "" : `content of ${paths[i]}`)).leaves,
      );
    }
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

  test("a file that fails to verify is refused before anything is written; the others land", async () => {
    await writeTree(t.dir, { bad: "old", "dir/x": "" });
    const batch = new DurableBatch(t.root, { flush });
    queue(batch, "good1", bytes("one"));
    queue(batch, "bad", bytes("corrupt"), bytes("correct"));
    queue(batch, "dir", bytes("a directory stands there"));
    queue(batch, "good2", bytes("two"));
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

  test("a file or symlink at the target is replaced; a FIFO there is refused by name", async () => {
    await writeFile(join(t.outside, "victim"), "keep me");
    await writeTree(t.dir, { "d/file": "old", "d/link": { link: join(t.outside, "victim") } });
    expect(Bun.spawnSync(["mkfifo", join(t.dir, "d/fifo")]).exitCode).toBe(0);
    const batch = new DurableBatch(t.root, { flush });
    for (const name of ["file", "link", "fifo", "new"]) queue(batch, `d/${name}`, bytes(name));
    const results = await batch.commit();
    expect(results.map((r) => [r.path.text, r.error?.code])).toEqual([
      ["d/file", undefined],
      ["d/link", undefined],
      ["d/fifo", "bad_path"],
      ["d/new", undefined],
    ]);
    for (const name of ["file", "link", "new"]) {
      expect(await readFile(join(t.dir, "d", name), "utf8")).toBe(name);
    }
    expect(await readFile(join(t.outside, "victim"), "utf8")).toBe("keep me");
    expect((await lstat(join(t.dir, "d/fifo"))).isFIFO()).toBe(true);
  });

  test.each([0o777, 0o666, 0o644, 0o600, 0o444, 0o000])(
    "a file gets its mode %o whatever the umask, a left-over partial too",
    async (mode) => {
      await writeTree(t.dir, { ".old.realize-partial": "left over" });
      await chmod(join(t.dir, ".old.realize-partial"), 0o4700);
      const batch = new DurableBatch(t.root, { flush });
      const meta = { mtimeNs: 1n, mode };
      for (const path of ["new", "old"]) {
        batch.add({ target: p(path), data: bytes(path), expected: hashOf(bytes(path)), meta });
      }
      const old = process.umask(0o077);
      try {
        expect((await batch.commit()).map((r) => r.error?.code)).toEqual([undefined, undefined]);
      } finally {
        process.umask(old);
      }
      for (const path of ["new", "old"]) {
        expect((await stat(join(t.dir, path))).mode & 0o7777).toBe(mode);
        expect(await readFile(join(t.dir, path), "utf8")).toBe(path);
      }
    },
  );

  test("a symlink under a partial's name is replaced, never written through", async () => {
    await writeFile(join(t.outside, "victim"), "keep me");
    await writeTree(t.dir, { ".f.realize-partial": { link: join(t.outside, "victim") } });
    const batch = new DurableBatch(t.root, { flush });
    queue(batch, "f", bytes("new"));
    expect((await batch.commit()).map((r) => r.error?.code)).toEqual([undefined]);
    expect(await readFile(join(t.outside, "victim"), "utf8")).toBe("keep me");
    expect(await readFile(join(t.dir, "f"), "utf8")).toBe("new");
  });

  test("a file below a symlinked directory is refused by name, nothing written through it", async () => {
    await writeTree(t.dir, { via: { link: t.outside } });
    const batch = new DurableBatch(t.root, { flush });
    queue(batch, "via/f", bytes("never"));
    queue(batch, "ok", bytes("fine"));
    const results = await batch.commit();
    expect(results.map((r) => [r.path.text, r.error?.code])).toEqual([
      ["via/f", "bad_path"],
      ["ok", undefined],
    ]);
    expect(await readdir(t.outside)).not.toContain("f");
    expect(await readdir(t.outside)).not.toContain(".f.realize-partial");
  });

  test("a file another reception is receiving is refused by name; the others land", async () => {
    const held = await PartialFile.open(t.root, p("busy"));
    const batch = new DurableBatch(t.root, { flush });
    queue(batch, "busy", bytes("mine"));
    queue(batch, "free", bytes("free"));
    const results = await batch.commit();
    expect(results.map((r) => [r.path.text, r.error?.code])).toEqual([
      ["busy", "refused"],
      ["free", undefined],
    ]);
    await held.close();
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

describe("DurableBatch on a full disk", () => {
  const disk = smallDiskEachTest();

  // Needs root to mount a 1 MiB tmpfs; as another user the test says so and checks nothing.
  test("a file that does not fit is disk_full by name, its partial removed; the others land", async () => {
    if (disk.unavailable()) return;
    const batch = new DurableBatch(new RealRoot(disk.dir));
    const big = new Uint8Array(2 * 1024 * 1024).fill(7);
    const meta = { mtimeNs: 1n, mode: 0o644 };
    batch.add({ target: p("big.bin"), data: big, expected: hashOf(big), meta });
    batch.add({ target: p("small"), data: bytes("fits"), expected: hashOf(bytes("fits")), meta });
    const [bigResult, smallResult] = await batch.commit();
    expect(bigResult?.error?.code).toBe("disk_full");
    expect(bigResult?.error?.message).toContain(join(disk.dir, "big.bin"));
    expect(smallResult?.error).toBeUndefined();
    expect(await readdir(disk.dir)).toEqual(["small"]);
  });
});
