import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { diskTree, partialsUnder } from "../../fixtures/disk-tree.ts";
import { noise } from "../../fixtures/noise.ts";
import { linkPeers, type TestPeer, TestPeers, waitFor } from "../../fixtures/peers.ts";
import { putFile } from "../../fixtures/put-file.ts";
import { TornWatch } from "../../fixtures/torn-watch.ts";
import { TransferPair } from "../../fixtures/transfer-pair.ts";
import { MiB } from "../../lib/logic/sync/test-trees.ts";

/**
 * What push and pull promise when things go wrong (CLI.md "Files on disk", DESIGN.md
 * Storage): partials are verified and resumed, never sent, never shown under the real
 * name; a crash of either side leaves every file old or new; --move deletes a source file
 * only once its copy is verified.
 */
const peers = new TestPeers();
let pair: TransferPair;
let gamma: TestPeer;

beforeAll(async () => {
  pair = await TransferPair.start(
    peers,
    [
      "partials",
      "base",
      "srcpartials",
      "links",
      "vanish",
      "kill",
      "race",
      "move",
      "movekill",
      "moveedit",
      "pullmove",
      "full",
    ],
    {
      serve: ["beta"],
      prepare: async (p) => {
        // Beta's root of "full" is a 3 MiB tmpfs (when this test may mount one).
        fullDisk = mountSmallDisk(p.dst("full"), "3m");
        // A third peer, to push to beta at the same time as alpha.
        gamma = await peers.make("gamma");
        await linkPeers(gamma, p.beta, { bDialsA: false });
        const root = gamma.machine.path("arenas", "race");
        mkdirSync(root, { recursive: true });
        await gamma.must("arena", "add", "race", "--root", root);
      },
    },
  );
});
afterAll(async () => {
  if (fullDisk) Bun.spawnSync(["umount", "-l", pair.dst("full")]);
  await peers.cleanup();
});

/** Mounts a tmpfs of `size` on `dir`; false where mounting is not allowed (not root). */
function mountSmallDisk(dir: string, size: string): boolean {
  if (process.getuid?.() !== 0) return false;
  return Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]).exitCode === 0;
}
let fullDisk = false;
afterEach(() => pair.killRuns());
// Some tests kill beta's daemon: each test starts with one running.
beforeEach(async () => {
  if (!pair.beta.daemon?.running) await pair.beta.serve();
});

const push = (...args: string[]) => pair.transfer(pair.alpha, "push", ...args);
const pull = (...args: string[]) => pair.transfer(pair.alpha, "pull", ...args);
const LEAF = 64 * 1024;

/** Size of a file now, 0 when it is not there. */
const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

describe("a partial already at the destination", () => {
  const SIZE = MiB;
  const content = Buffer.from(noise(SIZE, 1));
  const flipped = Buffer.from(content);
  for (const at of [300_000, 300_001, 300_002]) flipped[at]! ^= 0xff;

  test.each([
    ["corrupt in one leaf", flipped, LEAF, LEAF],
    ["all garbage", Buffer.from(noise(SIZE, 3)), SIZE, SIZE],
    [
      "shorter (a cut-off earlier run)",
      content.subarray(0, 400 * 1024),
      SIZE - 6 * LEAF,
      SIZE - 6 * LEAF,
    ],
    ["longer than the source", Buffer.concat([content, noise(100 * 1024, 3)]), 0, 0],
  ])(
    "%s: verified, only the bad part sent, the result exact",
    async (name, partial, least, most) => {
      const file = `${name.split(" ")[0]}.bin`;
      const src = pair.src("partials");
      const dst = pair.dst("partials");
      putFile(src, file, content);
      putFile(dst, `.${file}.realize-partial`, partial, { mode: 0o600 });
      const { code, summary } = await push("partials", "beta", file);
      expect(code).toBe(0);
      expect(summary.bytes.sent).toBeGreaterThanOrEqual(least);
      expect(summary.bytes.sent).toBeLessThanOrEqual(most);
      expect(readFileSync(join(dst, file)).equals(content)).toBe(true);
      expect(diskTree(dst)[file]).toEqual(diskTree(src)[file]!);
      expect(partialsUnder(dst)).toEqual([]);
    },
  );

  test("a small file's stale, longer partial is overwritten, not appended to", async () => {
    const src = pair.src("partials");
    const dst = pair.dst("partials");
    putFile(src, "small.txt", "small\n");
    putFile(dst, ".small.txt.realize-partial", "x".repeat(5000));
    expect((await push("partials", "beta", "small.txt")).code).toBe(0);
    expect(readFileSync(join(dst, "small.txt"), "utf8")).toBe("small\n");
    expect(partialsUnder(dst)).toEqual([]);
  });

  /** Beta holds an old version of `file` and a partial with the first `held` bytes of the new one. */
  async function resumeBesideOld(held: number) {
    const SIZE4 = 4 * MiB;
    const src = pair.src("base");
    const dst = pair.dst("base");
    const file = `held-${held}.bin`;
    const next = Buffer.from(noise(SIZE4, 5));
    putFile(dst, file, noise(SIZE4, 7));
    putFile(src, file, next);
    putFile(dst, `.${file}.realize-partial`, next.subarray(0, held), { mode: 0o600 });
    const { code, summary } = await push("base", "beta", file);
    expect(code).toBe(0);
    expect(readFileSync(join(dst, file)).equals(next)).toBe(true);
    expect(summary.bytes.sent).toBeLessThanOrEqual(SIZE4 - held);
  }

  test("a partial holding most of a new version beside the old one is resumed", () =>
    resumeBesideOld(3 * MiB));

  // The engine then sends an rsync delta of just the ranges still needed (not of the whole
  // file from offset 0), so the verified part is not sent again.
  test("a partial holding a little of a new version beside the old one is resumed", () =>
    resumeBesideOld(MiB));
});

describe("partials in the source", () => {
  test("are never listed, sent, counted or deleted (push, pull and --move)", async () => {
    const src = pair.src("srcpartials");
    const dst = pair.dst("srcpartials");
    putFile(src, ".x.realize-partial", "half of x");
    putFile(src, "sub/.big.bin.realize-partial", noise(300 * 1024, 1));
    putFile(src, "sub/big.bin", noise(300 * 1024, 3));
    putFile(src, "plain.realize-partial", "no leading dot: an ordinary file");
    putFile(dst, ".theirs.realize-partial", "beta's own partial");

    const { code, summary } = await push("srcpartials", "beta", "--move");
    expect(code).toBe(0);
    expect(summary.files.total).toBe(2);
    expect(Object.keys(diskTree(dst)).sort()).toEqual([
      ".theirs.realize-partial",
      "plain.realize-partial",
      "sub",
      "sub/big.bin",
    ]);
    expect(Object.keys(diskTree(src)).sort()).toEqual([
      ".x.realize-partial",
      "sub",
      "sub/.big.bin.realize-partial",
    ]);

    const back = await pull("srcpartials", "beta");
    expect(back.code).toBe(0);
    expect(back.summary.files.total).toBe(2);
    expect(existsSync(join(src, ".theirs.realize-partial"))).toBe(false);
  });
});

describe("links at the destination", () => {
  test("a symlink or hard link where a file goes is replaced, never written through", async () => {
    const src = pair.src("links");
    const dst = pair.dst("links");
    const outside = pair.beta.machine.path("links-outside");
    mkdirSync(outside);
    const victims = {
      "small-sym.txt": "outside, behind a symlink\n",
      "big-sym.bin": "outside, behind a symlink, big\n",
      "small-hard.txt": "outside, hard-linked\n",
      "big-hard.bin": Buffer.from(noise(2 * MiB, 51)),
    };
    for (const [name, content] of Object.entries(victims))
      writeFileSync(join(outside, name), content);
    symlinkSync(join(outside, "small-sym.txt"), join(dst, "small-sym.txt"));
    symlinkSync(join(outside, "big-sym.bin"), join(dst, "big-sym.bin"));
    linkSync(join(outside, "small-hard.txt"), join(dst, "small-hard.txt"));
    linkSync(join(outside, "big-hard.bin"), join(dst, "big-hard.bin"));
    putFile(src, "small-sym.txt", "new small\n");
    putFile(src, "big-sym.bin", noise(2 * MiB, 53));
    putFile(src, "small-hard.txt", "new small, was hard-linked\n");
    const edited = Buffer.from(victims["big-hard.bin"]);
    edited.write("an edit in the middle", MiB);
    putFile(src, "big-hard.bin", edited);

    const { code } = await push("links", "beta");
    expect(code).toBe(0);
    expect(diskTree(dst)).toEqual(diskTree(src));
    for (const [name, content] of Object.entries(victims)) {
      expect(readFileSync(join(outside, name)).equals(Buffer.from(content))).toBe(true);
    }
  });
});

describe("a source file that vanishes mid-run", () => {
  test("is listed as failed (exit 3); every other file arrives", async () => {
    const src = pair.src("vanish");
    const dst = pair.dst("vanish");
    // Three large files go at a time in path order: z-last.bin starts only once one of the
    // first ones is done, long after their partials appear at beta.
    for (const name of ["a1", "a2", "a3", "a4"]) putFile(src, `${name}.bin`, noise(512 * 1024, 7));
    putFile(src, "z-last.bin", noise(512 * 1024, 9));
    for (let i = 0; i < 20; i++) putFile(src, `small/${i}.txt`, `small ${i}\n`);
    const running = pair.spawn(
      pair.alpha,
      "push",
      "vanish",
      "beta",
      "--max-rate",
      "2MB/s",
      "--json",
      "--progress",
      "none",
    );
    await waitFor("a1.bin to start at beta", () =>
      partialsUnder(dst).includes(".a1.bin.realize-partial"),
    );
    rmSync(join(src, "z-last.bin"));
    const run = await running.done;
    expect(run.code).toBe(3);
    const summary = JSON.parse(run.stdout);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0].path).toBe("z-last.bin");
    expect(summary.failed[0].error).toMatch(/removed/);
    expect(diskTree(dst)).toEqual(diskTree(src));
    expect(partialsUnder(dst)).toEqual([]);
  });
});

describe("kill -9 mid-transfer", () => {
  const SIZE = 8 * MiB;

  /** Waits until the partial of `file` under `root` holds at least `bytes`. */
  const partialReaches = (root: string, file: string, bytes: number) =>
    waitFor(
      `${file}'s partial to reach ${bytes} bytes`,
      () => sizeOf(join(root, `.${file}.realize-partial`)) >= bytes,
    );

  test("of the pushing CLI (the source): the old file stays whole; a rerun resumes and completes", async () => {
    const src = pair.src("kill");
    const dst = pair.dst("kill");
    const old = Buffer.from(noise(SIZE, 101));
    const next = Buffer.from(noise(SIZE, 103));
    putFile(dst, "source-killed.bin", old);
    putFile(src, "source-killed.bin", next);
    const watch = new TornWatch(join(dst, "source-killed.bin"), { old, next });

    const running = pair.spawn(
      pair.alpha,
      "push",
      "kill",
      "beta",
      "source-killed.bin",
      "--max-rate",
      "4MB/s",
    );
    await partialReaches(dst, "source-killed.bin", 2 * MiB);
    running.child.kill("SIGKILL");
    await running.done;
    expect(watch.look()).toBe("old");

    // The old version makes this a delta transfer; the rerun resumes it with a delta of
    // just the ranges the partial does not hold yet.
    const again = await push("kill", "beta", "source-killed.bin");
    expect(again.code).toBe(0);
    expect(again.summary.bytes.sent).toBeLessThanOrEqual(SIZE - 2 * MiB + LEAF);
    const seen = await watch.stop();
    expect(Object.keys(seen).sort()).toEqual(["next", "old"]);
    expect(diskTree(dst)["source-killed.bin"]).toEqual(diskTree(src)["source-killed.bin"]!);
    expect(partialsUnder(dst)).toEqual([]);
  });

  test.each([
    [
      "of the destination daemon: the push fails with exit 1; after a restart a rerun resumes",
      "push",
      "daemon",
      "dest-killed.bin",
      105,
    ],
    [
      "of the source daemon during a pull: exit 1 naming it; after a restart a rerun resumes",
      "pull",
      "daemon",
      "source-gone.bin",
      109,
    ],
    [
      "of the pulling CLI (the destination): nothing torn here; a rerun resumes",
      "pull",
      "cli",
      "pulled.bin",
      107,
    ],
  ] as const)("%s", async (_title, direction, killed, file, seed) => {
    const [sender, receiver] =
      direction === "push"
        ? [pair.src("kill"), pair.dst("kill")]
        : [pair.dst("kill"), pair.src("kill")];
    const next = Buffer.from(noise(SIZE, seed));
    putFile(sender, file, next);
    const watch = new TornWatch(join(receiver, file), { next });

    const running = pair.spawn(pair.alpha, direction, "kill", "beta", file, "--max-rate", "4MB/s");
    await partialReaches(receiver, file, 2 * MiB);
    if (killed === "daemon") await pair.beta.daemon!.stop("SIGKILL", 0);
    else running.child.kill("SIGKILL");
    const run = await running.done;
    if (killed === "daemon") {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("peer beta");
    }
    expect(watch.look()).toBe("absent");

    if (killed === "daemon") await pair.beta.serve();
    const again = await pair.transfer(pair.alpha, direction, "kill", "beta", file);
    expect(again.code).toBe(0);
    expect(again.summary.bytes.sent).toBeLessThanOrEqual(SIZE - 2 * MiB + LEAF);
    const seen = await watch.stop();
    expect(Object.keys(seen).sort()).toEqual(["absent", "next"]);
    expect(diskTree(receiver)[file]).toEqual(diskTree(sender)[file]!);
    expect(partialsUnder(receiver)).toEqual([]);
  });
});

describe("two peers pushing the same file at once", () => {
  test("the second is refused naming the busy file; nothing torn; its rerun completes", async () => {
    const SIZE = 4 * MiB;
    const fromAlpha = Buffer.from(noise(SIZE, 61));
    const fromGamma = Buffer.from(noise(SIZE, 63));
    const dst = pair.dst("race");
    putFile(pair.src("race"), "race.bin", fromAlpha);
    putFile(gamma.machine.path("arenas", "race"), "race.bin", fromGamma);
    const watch = new TornWatch(join(dst, "race.bin"), { fromAlpha, fromGamma });
    const args = ["push", "race", "beta", "--json", "--progress", "none"];
    const a = pair.spawn(pair.alpha, ...args, "--max-rate", "2MB/s");
    await waitFor("alpha's partial", () => partialsUnder(dst).length > 0);
    const g = await pair.spawn(gamma, ...args).done;
    expect(g.code).toBe(3);
    const failed = JSON.parse(g.stdout).failed;
    expect(failed.map((f: { path: string }) => f.path)).toEqual(["race.bin"]);
    expect(failed[0].error).toContain("another transfer is receiving");
    expect((await a.done).code).toBe(0);
    expect(watch.look()).toBe("fromAlpha");

    const again = await pair.spawn(gamma, ...args).done;
    expect(again.code).toBe(0);
    const seen = await watch.stop();
    expect(Object.keys(seen).sort()).toEqual(["absent", "fromAlpha", "fromGamma"]);
  });
});

describe("--move never deletes before verification", () => {
  test("a file the destination refuses stays at the source; verified ones go", async () => {
    const src = pair.src("move");
    const dst = pair.dst("move");
    putFile(src, "keep/a.txt", "a\n");
    putFile(src, "keep/b.bin", noise(300 * 1024, 1));
    putFile(src, "linked/x.txt", "refused at beta\n");
    const originals = diskTree(src);
    const outside = pair.beta.machine.path("move-outside");
    mkdirSync(outside);
    symlinkSync(outside, join(dst, "linked"));

    const { code, summary } = await push("move", "beta", "--move");
    expect(code).toBe(3);
    expect(summary.failed.map((f) => f.path)).toEqual(["linked", "linked/x.txt"]);
    expect(diskTree(src)).toEqual({
      linked: { kind: "dir" },
      "linked/x.txt": originals["linked/x.txt"]!,
    });
    expect(diskTree(dst, { skip: (rel) => rel === "linked" })).toEqual({
      keep: { kind: "dir" },
      "keep/a.txt": originals["keep/a.txt"]!,
      "keep/b.bin": originals["keep/b.bin"]!,
    });
    expect(readdirSync(outside)).toEqual([]);
  });

  test("a source symlink is moved as a link; what it points to is untouched", async () => {
    const src = pair.src("move");
    const target = pair.alpha.machine.path("move-target.txt");
    writeFileSync(target, "the link's target\n");
    symlinkSync(target, join(src, "to-outside"));
    const { code } = await push("move", "beta", "to-outside", "--move");
    expect(code).toBe(0);
    expect(existsSync(join(src, "to-outside"))).toBe(false);
    expect(diskTree(pair.dst("move"))["to-outside"]).toEqual({ kind: "symlink", target });
    expect(readFileSync(target, "utf8")).toBe("the link's target\n");
  });

  test("pull --move deletes at the peer only what arrived here verified", async () => {
    const here = pair.src("pullmove");
    const there = pair.dst("pullmove");
    putFile(there, "a.txt", "a\n");
    putFile(there, "big.bin", noise(700 * 1024, 71));
    putFile(there, "blocked/b.txt", "refused here\n");
    const originals = diskTree(there);
    const outside = pair.alpha.machine.path("pullmove-outside");
    mkdirSync(outside);
    symlinkSync(outside, join(here, "blocked"));

    const { code, summary } = await pull("pullmove", "beta", "--move");
    expect(code).toBe(3);
    expect(summary.failed.map((f) => f.path)).toEqual(["blocked", "blocked/b.txt"]);
    expect(diskTree(there)).toEqual({
      blocked: { kind: "dir" },
      "blocked/b.txt": originals["blocked/b.txt"]!,
    });
    expect(diskTree(here, { skip: (rel) => rel === "blocked" })).toEqual({
      "a.txt": originals["a.txt"]!,
      "big.bin": originals["big.bin"]!,
    });
    expect(readdirSync(outside)).toEqual([]);
  });

  test("a file edited at the source after it was sent is kept, with the edit", async () => {
    const src = pair.src("moveedit");
    const dst = pair.dst("moveedit");
    putFile(src, "edited.txt", "as sent\n");
    putFile(src, "slow.bin", noise(2 * MiB, 3));
    const running = pair.spawn(
      pair.alpha,
      "push",
      "moveedit",
      "beta",
      "--move",
      "--max-rate",
      "2MB/s",
      "--json",
    );
    await waitFor("edited.txt at beta", () => existsSync(join(dst, "edited.txt")));
    writeFileSync(join(src, "edited.txt"), "edited after it was sent\n");
    const run = await running.done;
    expect(run.code).toBe(3);
    const summary = JSON.parse(run.stdout);
    expect(summary.failed.map((f: { path: string }) => f.path)).toEqual(["edited.txt"]);
    expect(readFileSync(join(src, "edited.txt"), "utf8")).toBe("edited after it was sent\n");
    expect(readFileSync(join(dst, "edited.txt"), "utf8")).toBe("as sent\n");
    expect(existsSync(join(src, "slow.bin"))).toBe(false);
    expect(sizeOf(join(dst, "slow.bin"))).toBe(2 * MiB);
  });

  test("kill -9 of the destination mid-run: every source file gone is complete at the destination", async () => {
    const src = pair.src("movekill");
    const dst = pair.dst("movekill");
    const contents = new Map<string, Buffer>();
    const add = (rel: string, data: string | Uint8Array) => {
      contents.set(rel, Buffer.from(data));
      putFile(src, rel, data);
    };
    for (let i = 0; i < 6; i++) add(`big/${i}.bin`, noise(MiB, 31 + 2 * i));
    for (let i = 0; i < 30; i++) add(`small/${i}.txt`, `small file ${i}\n`);
    const check = () => {
      for (const [rel, content] of contents) {
        if (existsSync(join(src, rel))) continue;
        expect(existsSync(join(dst, rel))).toBe(true);
        expect(readFileSync(join(dst, rel)).equals(content)).toBe(true);
      }
    };

    const running = pair.spawn(
      pair.alpha,
      "push",
      "movekill",
      "beta",
      "--move",
      "--max-rate",
      "4MB/s",
    );
    await waitFor(
      "two big files at beta",
      () => [0, 1, 2, 3, 4, 5].filter((i) => existsSync(join(dst, `big/${i}.bin`))).length >= 2,
    );
    await pair.beta.daemon!.stop("SIGKILL", 0);
    expect((await running.done).code).toBe(1);
    check();

    await pair.beta.serve();
    const again = await push("movekill", "beta", "--move");
    expect(again.code).toBe(0);
    check();
    expect(diskTree(src)).toEqual({});
    for (const [rel, content] of contents) {
      expect(readFileSync(join(dst, rel)).equals(content)).toBe(true);
    }
  });
});

describe("a full disk at the destination", () => {
  test.skipIf(process.getuid?.() !== 0)(
    "a file too big is reported and its partial removed at once; then the rest still fits",
    async () => {
      expect(fullDisk).toBe(true);
      const src = pair.src("full");
      const dst = pair.dst("full");
      putFile(src, "first.txt", "before the big one\n");
      expect((await push("full", "beta")).code).toBe(0);

      putFile(src, "huge.bin", noise(4 * MiB, 81));
      const run = await push("full", "beta", "huge.bin");
      expect(run.code).toBe(3);
      expect(run.summary.failed.map((f) => f.path)).toEqual(["huge.bin"]);
      expect(run.summary.failed[0]!.error).toMatch(/no space/i);
      expect(partialsUnder(dst)).toEqual([]);
      expect(existsSync(join(dst, "huge.bin"))).toBe(false);
      rmSync(join(src, "huge.bin"));

      for (let i = 0; i < 60; i++) putFile(src, `many/${i}.bin`, noise(64 * 1024, 83 + 2 * i));
      const many = await push("full", "beta");
      expect(many.code).toBe(3);
      expect(many.summary.failed.length).toBeGreaterThan(0);
      for (const f of many.summary.failed) expect(f.error).toMatch(/no space/i);
      expect(partialsUnder(dst)).toEqual([]);
      const failed = new Set(many.summary.failed.map((f) => f.path));
      const there = diskTree(dst);
      for (const [rel, entry] of Object.entries(diskTree(src))) {
        if (failed.has(rel)) expect(there[rel]).toBeUndefined();
        else expect(there[rel]).toEqual(entry);
      }
    },
  );
});
