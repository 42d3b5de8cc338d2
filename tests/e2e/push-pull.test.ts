import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { diskTree, partialsUnder } from "../../fixtures/disk-tree.ts";
import { noise } from "../../fixtures/noise.ts";
import { TestPeers } from "../../fixtures/peers.ts";
import { putFile, setMtimeNs } from "../../fixtures/put-file.ts";
import { TransferPair } from "../../fixtures/transfer-pair.ts";
import { MiB } from "../../lib/logic/sync/test-trees.ts";

/**
 * push and pull between two real `realize serve` processes over loopback TLS (CLI.md): what
 * arrives is checked on disk, byte for byte with mtime (ns) and permission bits.
 */
const peers = new TestPeers();
let pair: TransferPair;
const ARENAS = [
  "tree",
  "delta",
  "scope",
  "pull",
  "pulltree",
  "many",
  "flags",
  "ignore",
  "back",
  "ctime",
  "big",
];

beforeAll(async () => {
  pair = await TransferPair.start(peers, ARENAS);
});
afterAll(() => peers.cleanup());

const push = (...args: string[]) => pair.transfer(pair.alpha, "push", ...args);
const pull = (...args: string[]) => pair.transfer(pair.alpha, "pull", ...args);

/** A snapshot that leaves out what `skip` names (prefix match on whole components). */
const without =
  (...paths: string[]) =>
  (rel: string) =>
    paths.some((p) => rel === p || rel.startsWith(`${p}/`));

describe("push: a tree of awkward names, links, empty directories and ignored files", () => {
  const ignored = ["scratch.tmp", "sub/x.tmp", "build"];
  const destOnly = ["beta-only.txt", "with space/beta-only"];
  let src: string;
  let dst: string;

  beforeAll(() => {
    src = pair.src("tree");
    dst = pair.dst("tree");
    let t = 1_700_000_000_123_456_789n;
    const put = (rel: string, data: string | Uint8Array, mode = 0o644) =>
      putFile(src, rel, data, { mode, mtimeNs: t++ * 7n });
    put("with space/file name.txt", "spaces\n");
    put("unicode/été à la mer.txt", "nfc\n");
    put("unicode/e\u0301te\u0301.txt", "nfd: a different name from the nfc one\n");
    put("unicode/日本語/ファイル.md", "# 日本語\n");
    put("😀 emoji.txt", "astral\n");
    put("-rf", "leading dash\n");
    put("--help", "two dashes\n");
    put("docs/-n", "dash in a subdirectory\n");
    put("odd/back\\slash 'quote' \"dq\" *star? #hash", "punctuation\n");
    put("odd/line\nbreak", "a newline in a name\n");
    put(`odd/${"n".repeat(250)}`, noise(300 * 1024, 3));
    put("empty.bin", "");
    put("nested/zero", "");
    const deep = Array.from({ length: 40 }, (_, i) => `d${i}`).join("/");
    put(`${deep}/leaf.txt`, "deep\n");
    put("run.sh", "#!/bin/sh\necho hi\n", 0o755);
    put("private.key", "secret\n", 0o600);
    put("group.txt", "group\n", 0o640);
    put("medium.bin", noise(1536 * 1024, 5));
    symlinkSync("with space/file name.txt", join(src, "link-rel"));
    symlinkSync("/etc/passwd", join(src, "link-abs"));
    symlinkSync("nowhere/at/all", join(src, "link-dangling"));
    symlinkSync("unicode", join(src, "link-dir"));
    symlinkSync("../../../outside", join(src, "nested/link-up"));
    mkdirSync(join(src, "empty-dir"));
    mkdirSync(join(src, "empty/nested/dirs"), { recursive: true });
    put(".realizeignore", "*.tmp\nbuild/\n");
    put("scratch.tmp", "ignored\n");
    put("sub/x.tmp", "ignored too\n");
    put("sub/kept.txt", "kept\n");
    put("build/out.o", "ignored directory\n");
    putFile(dst, "beta-only.txt", "only on beta\n");
    putFile(dst, "with space/beta-only", "only on beta too\n");
  });

  test("the first push sends everything not ignored, exact on disk; files only on beta stay", async () => {
    const before = diskTree(dst);
    const { code, summary, stderr } = await push("tree", "beta", "--progress", "log");
    expect(code).toBe(0);
    const expected = diskTree(src, { skip: without(...ignored) });
    const got = diskTree(dst, { skip: without(...destOnly) });
    expect(got).toEqual(expected);
    for (const rel of destOnly) expect(diskTree(dst)[rel]).toEqual(before[rel]!);
    for (const rel of ignored) expect(existsSync(join(dst, rel))).toBe(false);

    const filesAndLinks = Object.values(expected).filter((e) => e.kind !== "dir").length;
    // One line per file, even for the name with a newline in it (shown quoted), and a summary.
    const lines = stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(filesAndLinks + 1);
    expect(lines.filter((l) => l.startsWith("sent "))).toHaveLength(filesAndLinks);
    expect(lines.some((l) => l.startsWith('sent "odd/line\\nbreak" ('))).toBe(true);
    expect(summary).toMatchObject({
      arena: "tree",
      peer: "beta",
      files: { total: filesAndLinks, sent: filesAndLinks, unchanged: 0, failed: 0 },
      failed: [],
    });
    const content = Object.values(expected).reduce(
      (sum, e) => sum + (e.kind === "file" ? e.size : 0),
      0,
    );
    expect(summary.bytes.total).toBeGreaterThanOrEqual(content);
    expect(summary.bytes.sent).toBeGreaterThanOrEqual(content);
    expect(summary.bytes.wire).toBeGreaterThan(summary.bytes.sent);
  });

  test("a second push finds nothing to send", async () => {
    const { code, summary } = await push("tree", "beta");
    expect(code).toBe(0);
    expect(summary.files.sent).toBe(0);
    expect(summary.files.unchanged).toBe(summary.files.total);
    expect(summary.bytes.sent).toBe(0);
  });

  test("a mode or mtime change alone is applied without sending content", async () => {
    const abs = join(src, "group.txt");
    Bun.spawnSync(["chmod", "0755", abs]);
    setMtimeNs(abs, 1_600_000_000_000_000_001n);
    const { code, summary } = await push("tree", "beta");
    expect(code).toBe(0);
    expect(summary.bytes.sent).toBe(0);
    const got = statSync(join(dst, "group.txt"), { bigint: true });
    expect(got.mtimeNs).toBe(1_600_000_000_000_000_001n);
    expect(Number(got.mode) & 0o777).toBe(0o755);
  });
});

describe("delta", () => {
  const SIZE = 4 * MiB;
  let src: string;
  let dst: string;

  beforeAll(async () => {
    src = pair.src("delta");
    dst = pair.dst("delta");
    putFile(src, "big.bin", noise(SIZE, 11));
    expect((await push("delta", "beta")).code).toBe(0);
  });

  const same = () => expect(diskTree(dst)).toEqual(diskTree(src));

  test("an in-place edit of 100 bytes sends about one leaf", async () => {
    const fd = openSync(join(src, "big.bin"), "r+");
    writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 2 * MiB + 5);
    closeSync(fd);
    const { code, summary } = await push("delta", "beta");
    expect(code).toBe(0);
    same();
    expect(summary.files.sent).toBe(1);
    expect(summary.bytes.sent).toBeGreaterThan(0);
    expect(summary.bytes.sent).toBeLessThanOrEqual(128 * 1024);
    expect(summary.bytes.wire).toBeLessThan(SIZE / 10);
  });

  test("an insertion near the start (every leaf shifted) sends far less than the file", async () => {
    const now = readFileSync(join(src, "big.bin"));
    const inserted = Buffer.concat([
      now.subarray(0, MiB + 3),
      Buffer.from("ten bytes!"),
      now.subarray(MiB + 3),
    ]);
    writeFileSync(join(src, "big.bin"), inserted);
    const { code, summary } = await push("delta", "beta");
    expect(code).toBe(0);
    same();
    expect(summary.bytes.sent).toBeGreaterThan(0);
    expect(summary.bytes.sent).toBeLessThan(SIZE / 20);
    expect(summary.bytes.wire).toBeLessThan(SIZE / 4);
  });

  test("a truncation and an append each send only what is new", async () => {
    const now = readFileSync(join(src, "big.bin"));
    writeFileSync(join(src, "big.bin"), now.subarray(0, 3 * MiB));
    let run = await push("delta", "beta");
    expect(run.code).toBe(0);
    same();
    expect(run.summary.bytes.sent).toBeLessThan(128 * 1024);
    const appended = Buffer.from(noise(SIZE, 13));
    writeFileSync(join(src, "big.bin"), Buffer.concat([now.subarray(0, 3 * MiB), appended]));
    run = await push("delta", "beta");
    expect(run.code).toBe(0);
    same();
    expect(run.summary.bytes.sent).toBeLessThan(SIZE + 128 * 1024);
    expect(run.summary.bytes.sent).toBeGreaterThanOrEqual(SIZE - 128 * 1024);
  });
});

describe("change detection", () => {
  test("an edit that keeps the size and the exact mtime is still sent (ctime moved)", async () => {
    const src = pair.src("ctime");
    const mtimeNs = 1_650_000_000_000_000_000n;
    putFile(src, "same.txt", "version one\n", { mtimeNs });
    putFile(src, "big.bin", noise(512 * 1024, 21), { mtimeNs });
    expect((await push("ctime", "beta")).code).toBe(0);
    putFile(src, "same.txt", "version two\n", { mtimeNs });
    putFile(src, "big.bin", noise(512 * 1024, 23), { mtimeNs });
    const { code, summary } = await push("ctime", "beta");
    expect(code).toBe(0);
    expect(summary.files.sent).toBe(2);
    expect(diskTree(pair.dst("ctime"))).toEqual(diskTree(src));
  });
});

describe("PATH arguments", () => {
  beforeAll(() => {
    const src = pair.src("scope");
    putFile(src, "docs/a.txt", "a\n");
    putFile(src, "docs/sub/b.txt", "b\n");
    putFile(src, "photos/2024/one.jpg", noise(1000, 1));
    putFile(src, "photos/2024/two.jpg", noise(1000, 3));
    putFile(src, "top.txt", "top\n");
  });

  test("push sends only the named directory and file (a trailing slash is fine)", async () => {
    const { code, summary } = await push("scope", "beta", "docs/", "photos/2024/two.jpg");
    expect(code).toBe(0);
    const got = diskTree(pair.dst("scope"));
    expect(Object.keys(got)).toEqual([
      "docs",
      "docs/a.txt",
      "docs/sub",
      "docs/sub/b.txt",
      "photos",
      "photos/2024",
      "photos/2024/two.jpg",
    ]);
    expect(got["docs/sub/b.txt"]).toEqual(diskTree(pair.src("scope"))["docs/sub/b.txt"]!);
    expect(summary.files).toEqual({ total: 3, sent: 3, unchanged: 0, failed: 0 });
  });

  test("pull of a path brings only that path back", async () => {
    putFile(pair.dst("scope"), "docs/from-beta.txt", "beta wrote this\n");
    putFile(pair.dst("scope"), "elsewhere.txt", "not asked for\n");
    const { code, summary } = await pull("scope", "beta", "docs/from-beta.txt");
    expect(code).toBe(0);
    expect(summary.files).toEqual({ total: 1, sent: 1, unchanged: 0, failed: 0 });
    expect(readFileSync(join(pair.src("scope"), "docs/from-beta.txt"), "utf8")).toBe(
      "beta wrote this\n",
    );
    expect(existsSync(join(pair.src("scope"), "elsewhere.txt"))).toBe(false);
  });
});

describe("pull", () => {
  test("brings beta's tree to alpha exactly; files only on alpha stay", async () => {
    const there = pair.dst("pull");
    const here = pair.src("pull");
    putFile(there, "a.txt", "from beta\n", { mtimeNs: 1_234_567_890_987_654_321n });
    putFile(there, "bin/tool", "#!/bin/sh\n", { mode: 0o755, mtimeNs: 1n });
    putFile(there, "big.bin", noise(700 * 1024, 9), { mode: 0o600 });
    putFile(there, "empty", "");
    mkdirSync(join(there, "empty-dir"));
    symlinkSync("a.txt", join(there, "link"));
    putFile(here, "alpha-only.txt", "mine\n");
    const before = diskTree(here)["alpha-only.txt"];

    const { code, summary } = await pull("pull", "beta");
    expect(code).toBe(0);
    expect(summary).toMatchObject({ arena: "pull", peer: "beta", failed: [] });
    expect(summary.files).toEqual({ total: 5, sent: 5, unchanged: 0, failed: 0 });
    expect(diskTree(here, { skip: without("alpha-only.txt") })).toEqual(diskTree(there));
    expect(diskTree(here)["alpha-only.txt"]).toEqual(before!);
  });

  test("brings the awkward tree back exactly (names, links, empty dirs, ns mtimes, modes)", async () => {
    const there = pair.dst("pulltree");
    const here = pair.src("pulltree");
    rmSync(there, { recursive: true });
    expect(Bun.spawnSync(["cp", "-a", pair.src("tree"), there]).exitCode).toBe(0);
    const { code, summary } = await pull("pulltree", "beta");
    expect(code).toBe(0);
    expect(summary.files.failed).toBe(0);
    const ignored = without("scratch.tmp", "sub/x.tmp", "build");
    expect(diskTree(here)).toEqual(diskTree(there, { skip: ignored }));
  });

  test("beta pushes to alpha's daemon the same way", async () => {
    const from = pair.dst("back");
    putFile(from, "x/y.txt", "beta to alpha\n", { mtimeNs: 42n });
    const { code } = await pair.transfer(pair.beta, "push", "back", "alpha");
    expect(code).toBe(0);
    expect(diskTree(pair.src("back"))).toEqual(diskTree(from));
  });
});

describe(".realizeignore", () => {
  test("ignored files are neither sent nor deleted, even by --move", async () => {
    const src = pair.src("ignore");
    const dst = pair.dst("ignore");
    putFile(src, ".realizeignore", "*.log\ncache/\n");
    putFile(src, "keep.txt", "keep\n");
    putFile(src, "debug.log", "ignored\n");
    putFile(src, "cache/blob", "ignored dir\n");
    putFile(dst, "old.log", "beta's own ignored file\n");
    putFile(dst, "cache/beta", "beta's own ignored dir\n");

    const { code, summary } = await push("ignore", "beta", "--move");
    expect(code).toBe(0);
    expect(summary.files.total).toBe(2);
    expect(Object.keys(diskTree(src)).sort()).toEqual(["cache", "cache/blob", "debug.log"]);
    expect(Object.keys(diskTree(dst)).sort()).toEqual([
      ".realizeignore",
      "cache",
      "cache/beta",
      "keep.txt",
      "old.log",
    ]);

    const back = await pull("ignore", "beta");
    expect(back.code).toBe(0);
    expect(existsSync(join(src, "old.log"))).toBe(false);
    expect(existsSync(join(src, "cache/beta"))).toBe(false);
  });

  test("a path only the receiving peer ignores is refused by name; its own file is kept", async () => {
    const src = pair.src("ignore");
    const dst = pair.dst("ignore");
    putFile(dst, ".realizeignore", "*.log\ncache/\nlocal.cfg\n");
    putFile(dst, "local.cfg", "beta's own settings\n");
    putFile(src, "local.cfg", "alpha's settings\n");
    const { code, summary } = await push("ignore", "beta", "local.cfg");
    expect(code).toBe(3);
    expect(summary.failed.map((f) => f.path)).toEqual(["local.cfg"]);
    expect(summary.failed[0]!.error).toContain("is ignored by");
    expect(readFileSync(join(dst, "local.cfg"), "utf8")).toBe("beta's own settings\n");

    putFile(dst, "only-beta-sends.log", "beta does not ignore this any more\n");
    putFile(dst, ".realizeignore", "cache/\nlocal.cfg\n");
    const back = await pull("ignore", "beta", "only-beta-sends.log");
    expect(back.code).toBe(3);
    expect(back.summary.failed.map((f) => f.path)).toEqual(["only-beta-sends.log"]);
    expect(existsSync(join(src, "only-beta-sends.log"))).toBe(false);
  });
});

describe("output flags", () => {
  let src: string;
  let dst: string;

  beforeAll(async () => {
    src = pair.src("flags");
    dst = pair.dst("flags");
    putFile(src, "same.txt", "same\n");
    putFile(src, "changed.txt", "old\n");
    expect((await push("flags", "beta")).code).toBe(0);
    putFile(src, "changed.txt", "new content\n");
    putFile(src, "new/one.txt", "one\n");
    putFile(src, "new/two.bin", noise(400 * 1024, 5));
    symlinkSync("same.txt", join(src, "new-link"));
    mkdirSync(join(src, "new-empty"));
  });

  test("--dry-run changes nothing on either side and reports what would be sent", async () => {
    const [srcBefore, dstBefore] = [diskTree(src), diskTree(dst)];
    const { code, summary, stderr } = await push("flags", "beta", "--dry-run", "--progress", "log");
    expect(code).toBe(0);
    expect(diskTree(src)).toEqual(srcBefore);
    expect(diskTree(dst)).toEqual(dstBefore);
    expect(summary.files).toMatchObject({ total: 5, sent: 4, unchanged: 1, failed: 0 });
    const lines = stderr.trimEnd().split("\n");
    for (const path of ["changed.txt", "new/one.txt", "new/two.bin", "new-link"]) {
      expect(lines.filter((l) => l.startsWith(`sent ${path}`))).toHaveLength(1);
    }
  });

  test("pull --dry-run changes nothing here and reports what would come", async () => {
    putFile(dst, "from-beta.txt", "only beta has this\n");
    const before = diskTree(src);
    const { code, summary, stderr } = await pull("flags", "beta", "--dry-run", "--progress", "log");
    rmSync(join(dst, "from-beta.txt"));
    expect(code).toBe(0);
    expect(diskTree(src)).toEqual(before);
    // beta's older changed.txt would come back too: a pull makes here what beta holds.
    const sent = stderr.split("\n").filter((l) => l.startsWith("sent "));
    expect(sent.map((l) => l.split(" ")[1]).sort()).toEqual(["changed.txt", "from-beta.txt"]);
    expect(summary.files.sent).toBe(2);
  });

  test("--dry-run --move deletes nothing either", async () => {
    const before = diskTree(src);
    expect((await push("flags", "beta", "--dry-run", "--move")).code).toBe(0);
    expect(diskTree(src)).toEqual(before);
  });

  test("--json prints one JSON document on stdout and nothing else; --progress log one line per file on stderr", async () => {
    const run = await pair.alpha.run("push", "flags", "beta", "--json", "--progress", "log");
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split("\n")).toHaveLength(1);
    const summary = JSON.parse(run.stdout);
    // Plain checks: bun's toMatchObject writes asymmetric matchers into the received object.
    expect(summary).toMatchObject({
      arena: "flags",
      peer: "beta",
      files: { total: 5, sent: 4, unchanged: 1, failed: 0 },
      failed: [],
    });
    for (const field of ["total", "sent", "wire"]) {
      expect(Number.isSafeInteger(summary.bytes[field])).toBe(true);
    }
    expect(typeof summary.seconds).toBe("number");
    expect(summary.bytes.sent).toBeGreaterThanOrEqual(400 * 1024);
    expect(summary.bytes.wire).toBeGreaterThan(summary.bytes.sent);

    const lines = run.stderr.trimEnd().split("\n");
    const perFile = lines.slice(0, -1);
    expect(perFile.map((l) => l.split(" ")[1]).sort()).toEqual(
      ["changed.txt", "new-link", "new/one.txt", "new/two.bin", "same.txt"].sort(),
    );
    expect(lines.filter((l) => l.startsWith("unchanged same.txt"))).toHaveLength(1);
    expect(lines.at(-1)).toContain("push flags to beta");
    expect(diskTree(dst)).toEqual(diskTree(src));
  });

  test("--progress none prints nothing at all without --json", async () => {
    rmSync(join(dst, "same.txt"));
    const run = await pair.alpha.run("push", "flags", "beta", "--progress", "none");
    expect(run).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(existsSync(join(dst, "same.txt"))).toBe(true);
  });
});

describe("many small files", () => {
  test("600 files in 30 directories (several batches) arrive exact, and a rerun sends nothing", async () => {
    const src = pair.src("many");
    for (let i = 0; i < 600; i++) {
      putFile(src, `d${i % 30}/f${i}.txt`, `file ${i}\n`.repeat(i % 7));
    }
    const first = await push("many", "beta");
    expect(first.code).toBe(0);
    expect(first.summary.files).toEqual({ total: 600, sent: 600, unchanged: 0, failed: 0 });
    expect(diskTree(pair.dst("many"))).toEqual(diskTree(src));
    const again = await push("many", "beta");
    expect(again.summary.files).toEqual({ total: 600, sent: 0, unchanged: 600, failed: 0 });
  });
});

describe("big new files", () => {
  test("a 40 MiB file is streamed (hashed beside, by worker threads) both ways, exact, then known", async () => {
    const src = pair.src("big");
    const dst = pair.dst("big");
    putFile(src, "pushed.bin", noise(40 * MiB, 91));
    const first = await push("big", "beta");
    expect(first.code).toBe(0);
    expect(first.summary.bytes.sent).toBe(40 * MiB);
    expect(diskTree(dst)["pushed.bin"]).toEqual(diskTree(src)["pushed.bin"]!);
    const again = await push("big", "beta");
    expect(again.summary.files).toEqual({ total: 1, sent: 0, unchanged: 1, failed: 0 });

    putFile(dst, "pulled.bin", noise(40 * MiB + 3, 92));
    const back = await pull("big", "beta", "pulled.bin");
    expect(back.code).toBe(0);
    expect(diskTree(src)["pulled.bin"]).toEqual(diskTree(dst)["pulled.bin"]!);
    expect(partialsUnder(src)).toEqual([]);
    expect(partialsUnder(dst)).toEqual([]);
  });
});
