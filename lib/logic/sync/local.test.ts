import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { noise } from "../../../fixtures/noise.ts";
import { hashBytes } from "../../hash/index.ts";
import { ArenaPath } from "../../model/arena-path.ts";
import { IndexDb, RACY_WINDOW_NS } from "../../storage/index-db.ts";
import { RealRoot } from "../../storage/real-root.ts";
import { LocalDestination } from "./local-destination.ts";
import { LocalSource } from "./local-source.ts";
import { runTransfer } from "./transfer.ts";

/**
 * The engine over the real local endpoints: two arena roots on disk, one index each.
 * Checks bytes, mtimes, modes, symlinks and empty directories on disk.
 */
const work = mkdtempSync(join(tmpdir(), "realize-local-sync-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
let src: string;
let dst: string;
let srcIndex: IndexDb;
let dstIndex: IndexDb;

beforeEach(() => {
  n++;
  src = join(work, `src${n}`);
  dst = join(work, `dst${n}`);
  mkdirSync(src);
  mkdirSync(dst);
  srcIndex = IndexDb.open(join(work, `state-src${n}`));
  dstIndex = IndexDb.open(join(work, `state-dst${n}`));
});

async function sync(
  scope: string[] = [],
  options: { move?: boolean; onWrite?: (offset: number) => void } = {},
) {
  const source = new LocalSource({ name: "a", root: await RealRoot.open(src), index: srcIndex });
  const destination = new LocalDestination({
    name: "a",
    root: await RealRoot.open(dst),
    index: dstIndex,
  });
  const { onWrite } = options;
  if (onWrite) {
    const write = destination.write.bind(destination);
    destination.write = async (token, offset, data) => {
      await write(token, offset, data);
      onWrite(offset);
    };
  }
  try {
    return await runTransfer(source, destination, {
      arena: "a",
      peer: "p",
      direction: "push",
      scope: scope.map((s) => ArenaPath.parse(s)),
      move: options.move,
    });
  } finally {
    await destination.release();
  }
}

function write(path: string, data: string | Uint8Array, mode = 0o644) {
  mkdirSync(join(src, path, ".."), { recursive: true });
  writeFileSync(join(src, path), data);
  chmodSync(join(src, path), mode);
}

/** Every path under `dir` with kind, content hash-free description and metadata. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p, { bigint: true });
      const rel = relative(dir, p);
      if (st.isSymbolicLink()) out.push(`link ${rel} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        visit(p);
        out.push(`dir ${rel} ${st.mtimeNs} ${(Number(st.mode) & 0o777).toString(8)}`);
      } else {
        const bytes = readFileSync(p);
        out.push(
          `file ${rel} ${bytes.length} ${Bun.hash(bytes)} ${st.mtimeNs} ${(Number(st.mode) & 0o777).toString(8)}`,
        );
      }
    }
  };
  visit(dir);
  return out;
}

describe("transfer between two local roots", () => {
  test("a tree with odd names, empty files, links and empty dirs arrives identical, then nothing is sent", async () => {
    write("a b/c d.txt", "spaces");
    write("été/ü.txt", "unicode");
    write("-rf", "leading dash", 0o755);
    write("empty", "");
    write("deep/1/2/3/4/5/6/7/8/leaf", "deep");
    write("big.bin", noise(3 * 1024 * 1024 + 17, 1));
    mkdirSync(join(src, "empty-dir/inner"), { recursive: true });
    symlinkSync("../a b/c d.txt", join(src, "deep/link"));
    symlinkSync("/etc/passwd", join(src, "abs-link"));
    chmodSync(join(src, "empty-dir"), 0o700);
    utimesSync(join(src, "empty-dir/inner"), 1_000_000, 1_500_000.25);
    utimesSync(join(src, "empty"), 1_000_000, 1_234_567.891);
    const first = await sync();
    expect(first.failed).toEqual([]);
    expect(snapshot(dst)).toEqual(snapshot(src));
    expect(first.files.sent).toBe(8);
    const second = await sync();
    expect(second.files).toEqual({ total: 8, sent: 0, unchanged: 8, failed: 0 });
    expect(second.bytes.sent).toBe(0);
  });

  test("an in-place edit of a big file sends about one leaf and keeps the rest", async () => {
    const data = noise(4 * 1024 * 1024, 2);
    write("f", data);
    await sync();
    data.fill(7, 1_000_000, 1_000_100);
    write("f", data);
    const s = await sync();
    expect(s.files.sent).toBe(1);
    expect(s.bytes.sent).toBeLessThanOrEqual(2 * 64 * 1024);
    expect(readFileSync(join(dst, "f")).equals(Buffer.from(data))).toBe(true);
  });

  test("an insertion at the start of a big file goes by delta", async () => {
    const data = noise(4 * 1024 * 1024, 3);
    write("f", data);
    await sync();
    const shifted = Buffer.concat([Buffer.from("inserted text"), data]);
    write("f", shifted);
    const s = await sync();
    expect(s.bytes.sent).toBeLessThan(200 * 1024);
    expect(readFileSync(join(dst, "f")).equals(shifted)).toBe(true);
  });

  test("a directory replaced by a symlink at the destination is refused by name, nothing written through it", async () => {
    write("d/x.txt", "x");
    write("d/y.txt", "y");
    const outside = join(work, `outside${n}`);
    mkdirSync(outside);
    symlinkSync(outside, join(dst, "d"));
    const s = await sync();
    expect(s.failed.map((f) => f.path).sort()).toEqual(["d", "d/x.txt", "d/y.txt"]);
    expect(readdirSync(outside)).toEqual([]);
  });

  test("a path the destination's own .realizeignore ignores is refused by name, its file kept", async () => {
    writeFileSync(join(dst, ".realizeignore"), "local.cfg\ncache/\n");
    writeFileSync(join(dst, "local.cfg"), "the destination's own");
    write("local.cfg", "the source's");
    write("cache/big.bin", noise(300 * 1024, 6));
    write("cache/small", "s");
    symlinkSync("x", join(src, "cache/link"));
    write("kept.txt", "k");
    const s = await sync();
    expect(s.failed.map((f) => f.path).sort()).toEqual([
      "cache",
      "cache/big.bin",
      "cache/link",
      "cache/small",
      "local.cfg",
    ]);
    for (const f of s.failed) expect(f.error).toContain("is ignored by");
    expect(readFileSync(join(dst, "local.cfg"), "utf8")).toBe("the destination's own");
    expect(readdirSync(dst).sort()).toEqual([".realizeignore", "kept.txt", "local.cfg"]);
  });

  test("--move deletes sources only after the copy verified, then empty dirs", async () => {
    write("m/one", "1");
    write("m/two", noise(300 * 1024, 4));
    const s = await sync([], { move: true });
    expect(s.failed).toEqual([]);
    expect(readdirSync(src)).toEqual([]);
    expect(readFileSync(join(dst, "m/one"), "utf8")).toBe("1");
  });

  test("a PATH pushes only that subtree, with its parent directories", async () => {
    write("x/y/z.txt", "z");
    write("other.txt", "o");
    const s = await sync(["x/y"]);
    expect(s.failed).toEqual([]);
    expect(snapshot(dst).map((l) => l.split(" ").slice(0, 2).join(" "))).toEqual([
      "file x/y/z.txt",
      "dir x/y",
      "dir x",
    ]);
  });

  test("a corrupt partial at the destination is repaired, not trusted", async () => {
    const data = noise(1024 * 1024, 5);
    write("p.bin", data);
    const partial = Buffer.from(data);
    partial.fill(0, 100_000, 200_000);
    writeFileSync(join(dst, ".p.bin.realize-partial"), partial.subarray(0, 700_000));
    const s = await sync();
    expect(s.failed).toEqual([]);
    expect(readFileSync(join(dst, "p.bin")).equals(Buffer.from(data))).toBe(true);
    expect(s.bytes.sent).toBeLessThan(data.length - 400_000);
    expect(readdirSync(dst)).toEqual(["p.bin"]);
  });
});

describe("streaming new large files", () => {
  test("a big file the destination lacks is read once, hashed on the way, and known at both ends after", async () => {
    const data = noise(3 * 1024 * 1024 + 5, 31);
    write("big.bin", data);
    const first = await sync();
    expect(first.failed).toEqual([]);
    expect(readFileSync(join(dst, "big.bin")).equals(Buffer.from(data))).toBe(true);
    expect(first.bytes.sent).toBe(data.length);
    expect(srcIndex.leaves("a", ArenaPath.parse("big.bin"))).toHaveLength(49);
    expect(dstIndex.leaves("a", ArenaPath.parse("big.bin"))).toHaveLength(49);
    const second = await sync();
    expect(second.files).toEqual({ total: 1, sent: 0, unchanged: 1, failed: 0 });
  });

  test("a big file rewritten while it is streamed is sent again: the destination never gets a mix", async () => {
    const size = 4 * 1024 * 1024;
    write("big.bin", noise(size, 41));
    const newer = noise(size, 42);
    let rewritten = false;
    const summary = await sync([], {
      onWrite: () => {
        if (rewritten) return;
        rewritten = true;
        writeFileSync(join(src, "big.bin"), newer);
      },
    });
    expect(rewritten).toBe(true);
    expect(summary.failed).toEqual([]);
    expect(readFileSync(join(dst, "big.bin")).equals(Buffer.from(newer))).toBe(true);
    expect(readdirSync(dst)).toEqual(["big.bin"]);
  });
});

describe("LocalSource.readSmall", () => {
  test("gives the hash of what it read (the index's while its record holds, else the bytes', then recorded)", async () => {
    write("a", "aaaa");
    write("b", "bbbb");
    const later = () => BigInt(Date.now()) * 1_000_000n + 10n * RACY_WINDOW_NS;
    const index = IndexDb.open(join(work, `state-read${n}`), { now: later });
    const source = new LocalSource({ name: "a", root: await RealRoot.open(src), index });
    await source.list([]);
    writeFileSync(join(src, "b"), "BBBB");
    const [a, b] = await source.readSmall([ArenaPath.parse("a"), ArenaPath.parse("b")]);
    const text = new TextEncoder();
    expect(a && "hash" in a && a.hash?.equals(hashBytes(text.encode("aaaa")))).toBe(true);
    expect(b && "data" in b && Buffer.from(b.data).toString()).toBe("BBBB");
    expect(b && "hash" in b && b.hash?.equals(hashBytes(text.encode("BBBB")))).toBe(true);
    const mtimeNs = statSync(join(src, "b"), { bigint: true }).mtimeNs;
    expect(b && "data" in b ? b.mtimeNs : undefined).toBe(mtimeNs);
    const relisted = await source.list([], "known");
    const listedB = relisted.entries.find((e) => e.path.text === "b");
    expect(listedB?.hash?.equals(hashBytes(text.encode("BBBB")))).toBe(true);
    index.close();
  });
});
