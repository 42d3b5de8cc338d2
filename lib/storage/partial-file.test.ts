import { describe, expect, test } from "bun:test";
import { link, lstat, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { rejection } from "../../fixtures/rejection.ts";
import { type FileHash, LEAF_SIZE, MerkleHasher } from "../hash/index.ts";
import { ArenaPath } from "../model/arena-path.ts";
import type { RealizeError } from "../model/errors.ts";
import { PartialFile } from "./partial-file.ts";
import { RealRoot } from "./real-root.ts";
import { versionBytes } from "./test-crash-writer.ts";
import { smallDiskEachTest, tempRootEachTest, writeTree } from "./test-support.ts";
import { walkArena } from "./walk.ts";

const p = (text: string) => ArenaPath.parse(text);
const hashOf = (data: Uint8Array): FileHash => new MerkleHasher().update(data).digest();
const META = { mtimeNs: 1_700_000_000_123_456_789n, mode: 0o644 };

/** Content whose every leaf differs from every other. */
function content(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + seed * 7 + (i >> 16)) & 0xff;
  return data;
}

async function receive(root: RealRoot, path: string, data: Uint8Array, meta = META) {
  const partial = await PartialFile.open(root, p(path));
  await partial.write(0, data);
  return partial.commit(hashOf(data), meta);
}

const t = tempRootEachTest();

describe("PartialFile commit", () => {
  test.each([
    ["new.bin", 3 * LEAF_SIZE + 17],
    ["zero bytes", 0],
    ["dir with space/ünï/-dash", 10],
    ["deep/a/b/c/d/e/f/g", LEAF_SIZE],
  ])("%p: content lands under the target name with exact mtime and mode", async (path, size) => {
    const data = content(size);
    const entry = await receive(t.root, path, data, { mtimeNs: META.mtimeNs, mode: 0o755 });
    expect(new Uint8Array(await readFile(join(t.dir, path)))).toEqual(data);
    const s = await stat(join(t.dir, path), { bigint: true });
    expect(s.mtimeNs).toBe(META.mtimeNs);
    expect(Number(s.mode) & 0o777).toBe(0o755);
    expect(entry).toMatchObject({ kind: "file", size, mtimeNs: META.mtimeNs, mode: 0o755 });
    expect(entry.ino).toBe(s.ino);
    expect((await walkArena(t.root)).partials).toEqual([]);
  });

  test("the executable bit is cleared when the source has none", async () => {
    await writeTree(t.dir, { "run.sh": "old" });
    await receive(t.root, "run.sh", content(5), { mtimeNs: 1n, mode: 0o600 });
    expect(Number((await stat(join(t.dir, "run.sh"))).mode) & 0o777).toBe(0o600);
  });

  test("until commit the content is only under the partial name, which is never listed", async () => {
    await writeTree(t.dir, { "f.txt": "old" });
    const partial = await PartialFile.open(t.root, p("f.txt"));
    await partial.write(0, content(100));
    expect(await readFile(join(t.dir, "f.txt"), "utf8")).toBe("old");
    expect(await readdir(t.dir)).toContain(".f.txt.realize-partial");
    expect((await walkArena(t.root)).entries.map((e) => e.path.text)).toEqual(["f.txt"]);
    await partial.commit(hashOf(content(100)), META);
    expect(await readdir(t.dir)).toEqual(["f.txt"]);
  });

  test("a corrupted partial is refused and the target is untouched", async () => {
    await writeTree(t.dir, { "f.bin": "old content" });
    const data = content(2 * LEAF_SIZE);
    const partial = await PartialFile.open(t.root, p("f.bin"));
    await partial.write(0, data);
    await partial.write(LEAF_SIZE + 5, Uint8Array.of(data[LEAF_SIZE + 5]! ^ 1));
    const { hash, size } = hashOf(data);
    const e = await rejection(partial.commit({ hash, size }, META));
    expect(e.code).toBe("hash_mismatch");
    expect(e.message).toContain(join(t.dir, "f.bin"));
    expect(await readFile(join(t.dir, "f.bin"), "utf8")).toBe("old content");
    expect(await readdir(t.dir)).toEqual(["f.bin"]);
  });

  test("overlapping writes in flight land in the order called, and commit verifies that", async () => {
    const data = content(32 * LEAF_SIZE);
    const patch = content(LEAF_SIZE + 100, 7);
    const want = Uint8Array.from(data);
    want.set(patch, LEAF_SIZE - 50);
    const partial = await PartialFile.open(t.root, p("f.bin"));
    await Promise.all([
      partial.write(0, data),
      partial.write(LEAF_SIZE - 50, patch),
      partial.write(2 * LEAF_SIZE, want.subarray(2 * LEAF_SIZE)),
    ]);
    await partial.commit(hashOf(want), META);
    expect(new Uint8Array(await readFile(join(t.dir, "f.bin")))).toEqual(want);
    expect(partial.leaves).toEqual(hashOf(want).leaves);
  });

  test("a refused partial whose leaves partly verify is kept for resume when leaves are known", async () => {
    const data = content(2 * LEAF_SIZE);
    const partial = await PartialFile.open(t.root, p("f.bin"));
    await partial.write(0, data);
    await partial.write(LEAF_SIZE, Uint8Array.of(data[LEAF_SIZE]! ^ 1));
    const e = await rejection(partial.commit(hashOf(data), META));
    expect(e.data.kept).toBe(true);
    const again = await PartialFile.open(t.root, p("f.bin"));
    expect(await again.existingLeaves(hashOf(data))).toEqual([true, false]);
    await again.write(LEAF_SIZE, data.subarray(LEAF_SIZE));
    await again.commit(hashOf(data), META);
    expect(new Uint8Array(await readFile(join(t.dir, "f.bin")))).toEqual(data);
  });

  test("a partial of the wrong size is refused without hashing and removed", async () => {
    const partial = await PartialFile.open(t.root, p("f"));
    await partial.write(0, content(10));
    const e = await rejection(partial.commit({ ...hashOf(content(11)), leaves: undefined }, META));
    expect(e.code).toBe("hash_mismatch");
    expect(e.message).toContain("10 bytes instead of 11");
    expect(await readdir(t.dir)).toEqual([]);
  });

  test("abort removes the partial and leaves the target", async () => {
    await writeTree(t.dir, { f: "old" });
    const partial = await PartialFile.open(t.root, p("f"));
    await partial.write(0, content(10));
    await partial.abort();
    expect(await readdir(t.dir)).toEqual(["f"]);
  });

  test("a directory at the target is refused by name; the partial stays", async () => {
    await writeTree(t.dir, { "d/x": "" });
    const e = await rejection(receive(t.root, "d", content(3)));
    expect(e.code).toBe("bad_path");
    expect(e.message).toContain('"d"');
    expect((await readdir(t.dir)).sort()).toEqual([".d.realize-partial", "d"]);
  });
});

describe("PartialFile never writes through a link", () => {
  test("a symlinked parent directory is refused by name and nothing lands outside", async () => {
    await writeTree(t.dir, { out: { link: t.outside } });
    const e = await rejection(PartialFile.open(t.root, p("out/f")));
    expect(e.code).toBe("bad_path");
    expect(e.message).toContain('"out/f"');
    expect(e.message).toContain('"out" is a symlink');
    expect(await readdir(t.outside)).toEqual([]);
  });

  test("a symlink to /etc as a parent is refused", async () => {
    await writeTree(t.dir, { etc: { link: "/etc" } });
    expect((await rejection(PartialFile.open(t.root, p("etc/realize-test")))).code).toBe(
      "bad_path",
    );
  });

  test("a symlink under the partial's name is replaced, its target untouched", async () => {
    await writeTree(t.outside, { victim: "precious" });
    await writeTree(t.dir, { ".f.realize-partial": { link: join(t.outside, "victim") } });
    await receive(t.root, "f", content(20));
    expect(await readFile(join(t.outside, "victim"), "utf8")).toBe("precious");
    expect(new Uint8Array(await readFile(join(t.dir, "f")))).toEqual(content(20));
  });

  test("a hard link under the partial's name is replaced, the other name untouched", async () => {
    await writeTree(t.outside, { victim: "precious" });
    await link(join(t.outside, "victim"), join(t.dir, ".f.realize-partial"));
    await receive(t.root, "f", content(20));
    expect(await readFile(join(t.outside, "victim"), "utf8")).toBe("precious");
  });

  test("a symlink at the target is replaced by the file, never written through", async () => {
    await writeTree(t.outside, { victim: "precious" });
    await writeTree(t.dir, { f: { link: join(t.outside, "victim") } });
    await receive(t.root, "f", content(20));
    expect(await readFile(join(t.outside, "victim"), "utf8")).toBe("precious");
    expect((await lstat(join(t.dir, "f"))).isFile()).toBe(true);
  });

  test("a directory under the partial's name is refused", async () => {
    await mkdir(join(t.dir, ".f.realize-partial"));
    expect((await rejection(PartialFile.open(t.root, p("f")))).code).toBe("bad_path");
  });
});

describe("PartialFile has one writer at a time", () => {
  test("a second open of a partial in use is refused by name; once it is closed it opens", async () => {
    const first = await PartialFile.open(t.root, p("dir/f.bin"));
    await first.write(0, content(100));
    const error = await rejection(PartialFile.open(t.root, p("dir/f.bin")));
    expect(error.code).toBe("refused");
    expect(error.message).toContain('"dir/f.bin"');
    expect(error.message).toContain("another transfer is receiving");
    await first.close();
    const second = await PartialFile.open(t.root, p("dir/f.bin"));
    expect(await second.size()).toBe(100);
    await second.close();
  });

  test("an open racing a commit gets a fresh partial, never the committed file", async () => {
    const data = content(3 * LEAF_SIZE);
    const first = await PartialFile.open(t.root, p("f.bin"));
    await first.write(0, data);
    const [, second] = await Promise.all([
      first.commit(hashOf(data), META),
      PartialFile.open(t.root, p("f.bin")).catch((e: unknown) => e),
    ]);
    if (second instanceof PartialFile) {
      await second.write(0, content(10, 2));
      await second.close();
    } else {
      expect((second as RealizeError).code).toBe("refused");
    }
    expect(new Uint8Array(await readFile(join(t.dir, "f.bin")))).toEqual(data);
  });
});

describe("PartialFile resume", () => {
  const data = content(4 * LEAF_SIZE + 1000);
  const expected = hashOf(data);

  async function leftover(bytes: Uint8Array): Promise<PartialFile> {
    await writeFile(join(t.dir, ".f.realize-partial"), bytes);
    return PartialFile.open(t.root, p("f"));
  }

  test("an intact partial verifies in full and commits without a byte written", async () => {
    const partial = await leftover(data);
    expect(await partial.existingLeaves(expected)).toEqual([true, true, true, true, true]);
    expect((await partial.resume(expected)).isEmpty).toBe(true);
    await partial.commit(expected, META);
    expect(new Uint8Array(await readFile(join(t.dir, "f")))).toEqual(data);
  });

  test("a corrupt leaf is the only one to rewrite", async () => {
    const bad = Uint8Array.from(data);
    bad[2 * LEAF_SIZE + 7]! ^= 0xff;
    const partial = await leftover(bad);
    expect(await partial.existingLeaves(expected)).toEqual([true, true, false, true, true]);
    const missing = await partial.resume(expected);
    expect(missing.toPairs()).toEqual([[2 * LEAF_SIZE, 3 * LEAF_SIZE]]);
    await partial.write(2 * LEAF_SIZE, data.subarray(2 * LEAF_SIZE, 3 * LEAF_SIZE));
    await partial.commit(expected, META);
    expect(new Uint8Array(await readFile(join(t.dir, "f")))).toEqual(data);
  });

  test("a shorter partial keeps its whole leaves only", async () => {
    const partial = await leftover(data.subarray(0, 2 * LEAF_SIZE + 100));
    expect(await partial.existingLeaves(expected)).toEqual([true, true, false, false, false]);
    expect((await partial.resume(expected)).toPairs()).toEqual([[2 * LEAF_SIZE, data.length]]);
    await partial.close();
  });

  test("a longer partial is cut; its last short leaf then verifies", async () => {
    const longer = new Uint8Array(data.length + 5000);
    longer.set(data);
    const partial = await leftover(longer);
    expect(await partial.existingLeaves(expected)).toEqual([true, true, true, true, true]);
    expect((await partial.resume(expected)).isEmpty).toBe(true);
    expect(await partial.size()).toBe(data.length);
    await partial.commit(expected, META);
  });

  test("a partial of some other content keeps nothing", async () => {
    const partial = await leftover(content(data.length, 9));
    expect((await partial.existingLeaves(expected)).some(Boolean)).toBe(false);
    await partial.close();
  });

  test("reuseTarget copies the target's matching leaves; only the changed ones are missing", async () => {
    const old = Uint8Array.from(data.subarray(0, 3 * LEAF_SIZE + 500));
    old[LEAF_SIZE + 3]! ^= 0xff;
    await writeFile(join(t.dir, "f"), old);
    const partial = await PartialFile.open(t.root, p("f"));
    const missing = await partial.resume(expected, { reuseTarget: true });
    expect(missing.toPairs()).toEqual([
      [LEAF_SIZE, 2 * LEAF_SIZE],
      [3 * LEAF_SIZE, data.length],
    ]);
    for (const [start, end] of missing.toPairs())
      await partial.write(start, data.subarray(start, end));
    await partial.commit(expected, META);
    expect(new Uint8Array(await readFile(join(t.dir, "f")))).toEqual(data);
  });

  test.each([
    ["recorded version", true],
    ["a version moved since (leaves read again)", false],
  ])(
    "reuseTarget with the base's known leaves, %s: only changed leaves are missing",
    async (_, same) => {
      const old = Uint8Array.from(data.subarray(0, 3 * LEAF_SIZE + 500));
      old[LEAF_SIZE + 3]! ^= 0xff;
      await writeFile(join(t.dir, "f"), old);
      const s = await stat(join(t.dir, "f"), { bigint: true });
      const base = {
        leaves: hashOf(old).leaves,
        size: old.length,
        mtimeNs: s.mtimeNs,
        ino: s.ino,
        ctimeNs: same ? s.ctimeNs : s.ctimeNs - 1n,
      };
      const partial = await PartialFile.open(t.root, p("f"));
      const missing = await partial.resume(expected, { reuseTarget: true, base });
      expect(missing.toPairs()).toEqual([
        [LEAF_SIZE, 2 * LEAF_SIZE],
        [3 * LEAF_SIZE, data.length],
      ]);
      for (const [start, end] of missing.toPairs())
        await partial.write(start, data.subarray(start, end));
      await partial.commit(expected, META);
      expect(new Uint8Array(await readFile(join(t.dir, "f")))).toEqual(data);
      expect(partial.leaves).toEqual(expected.leaves);
    },
  );

  test("reuseTarget never reads through a symlink at the target", async () => {
    await writeFile(join(t.outside, "same"), data);
    await writeTree(t.dir, { f: { link: join(t.outside, "same") } });
    const partial = await PartialFile.open(t.root, p("f"));
    expect((await partial.resume(expected, { reuseTarget: true })).totalLength).toBe(data.length);
    await partial.close();
  });

  test("the empty file resumes from an empty partial", async () => {
    const partial = await leftover(new Uint8Array());
    expect(await partial.existingLeaves(hashOf(new Uint8Array()))).toEqual([true]);
    expect((await partial.resume(hashOf(new Uint8Array()))).isEmpty).toBe(true);
    await partial.close();
  });
});

describe("PartialFile on a full disk", () => {
  const disk = smallDiskEachTest();

  // Needs root to mount a 1 MiB tmpfs; as another user the test says so and checks nothing.
  test("ENOSPC removes the partial at once and names the file", async () => {
    if (disk.unavailable()) return;
    const root = new RealRoot(disk.dir);
    const partial = await PartialFile.open(root, p("big.bin"));
    const e = await rejection(
      (async () => {
        for (let at = 0; at < 4 * 1024 * 1024; at += LEAF_SIZE) {
          await partial.write(at, content(LEAF_SIZE));
        }
      })(),
    );
    expect(e.code).toBe("disk_full");
    expect(e.message).toContain(join(disk.dir, "big.bin"));
    expect(e.message).toContain("partial file was removed");
    expect(await readdir(disk.dir)).toEqual([]);
    await receive(root, "small", content(1000));
    expect(await readdir(disk.dir)).toEqual(["small"]);
  });

  test("writes that come after the disk filled fail as disk_full too, not as a closed file", async () => {
    if (disk.unavailable()) return;
    const partial = await PartialFile.open(new RealRoot(disk.dir), p("big.bin"));
    const first = await rejection(
      (async () => {
        for (let at = 0; at < 4 * 1024 * 1024; at += LEAF_SIZE) {
          await partial.write(at, content(LEAF_SIZE));
        }
      })(),
    );
    const later = await rejection(partial.write(0, content(10)));
    expect(later.code).toBe("disk_full");
    expect(later.message).toBe(first.message);
    expect((await rejection(partial.truncate(10))).code).toBe("disk_full");
    expect(await readdir(disk.dir)).toEqual([]);
  });
});

describe("PartialFile after a crash (child process killed with SIGKILL)", () => {
  const writer = join(import.meta.dir, "test-crash-writer.ts");
  const SIZE = 3 * LEAF_SIZE + 123;

  async function readLines(proc: Bun.Subprocess<"ignore", "pipe", "inherit">, count: number) {
    const reader = proc.stdout.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (text.split("\n").length - 1 < count) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    reader.releaseLock();
    return text;
  }

  test("killed between write and rename: the target is old, the partial resumes", async () => {
    await writeTree(t.dir, { f: "old" });
    const proc = Bun.spawn(["bun", writer, t.dir, "f", String(SIZE), "hold"], {
      stdout: "pipe",
      stderr: "inherit",
    });
    expect(await readLines(proc, 1)).toBe("written\n");
    proc.kill("SIGKILL");
    await proc.exited;
    expect(await readFile(join(t.dir, "f"), "utf8")).toBe("old");
    const expected = hashOf(versionBytes(1, SIZE));
    const partial = await PartialFile.open(t.root, p("f"));
    expect((await partial.resume(expected)).isEmpty).toBe(true);
    await partial.commit(expected, META);
    expect(new Uint8Array(await readFile(join(t.dir, "f")))).toEqual(versionBytes(1, SIZE));
  });

  test.each([3, 11, 29])(
    "killed while committing in a loop (after %i commits): old or new, never mixed",
    async (after) => {
      const proc = Bun.spawn(["bun", writer, t.dir, "f", String(SIZE), "loop"], {
        stdout: "pipe",
        stderr: "inherit",
      });
      await readLines(proc, after);
      proc.kill("SIGKILL");
      await proc.exited;
      const bytes = new Uint8Array(await readFile(join(t.dir, "f")));
      expect(bytes.length).toBe(SIZE);
      expect(bytes.every((b) => b === bytes[0])).toBe(true);
      expect((await walkArena(t.root)).entries.map((e) => e.path.text)).toEqual(["f"]);
    },
  );
});
