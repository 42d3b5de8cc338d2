import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { diskTree, partialsUnder } from "../../fixtures/disk-tree.ts";
import { noise } from "../../fixtures/noise.ts";
import { linkPeers, type TestPeer, TestPeers, waitFor } from "../../fixtures/peers.ts";
import { putFile } from "../../fixtures/put-file.ts";
import type { CliRun } from "../../fixtures/realize-cli.ts";
import { TransferPair } from "../../fixtures/transfer-pair.ts";
import { MiB } from "../../lib/logic/sync/test-trees.ts";

/**
 * The exit codes of push and pull (CLI.md "Exit codes") on real processes: 0 done, 1 the
 * peer cannot do it, 2 bad usage with nothing touched, 3 some files failed (each listed
 * with its reason), 4 stopped early and resumable.
 */
const _BIN = resolve(import.meta.dir, "../../bin/realize");
const peers = new TestPeers();
let pair: TransferPair;
let alpha: TestPeer;
let gamma: TestPeer;

beforeAll(async () => {
  pair = await TransferPair.start(
    peers,
    ["usage", "refuse", "missing", "special", "unreadable", "interrupt", "signal", "cacheonly"],
    {
      serve: ["beta"],
      prepare: async (p) => {
        // Beta has the arena but no root there: it can neither send nor receive whole files.
        await p.beta.must("arena", "remove", "cacheonly");
        await p.beta.must("arena", "add", "cacheonly");
        // Gamma pushes as an unprivileged user, so that chmod 000 really hides a file.
        gamma = await peers.make("gamma");
        await linkPeers(gamma, p.beta, { bDialsA: false });
        const root = gamma.machine.path("arenas", "unreadable");
        mkdirSync(root, { recursive: true });
        await gamma.must("arena", "add", "unreadable", "--root", root);
      },
    },
  );
  alpha = pair.alpha;
  const lonely = alpha.machine.path("arenas", "lonely");
  mkdirSync(lonely);
  await alpha.must("arena", "add", "lonely", "--root", lonely);
  const faraway = await peers.make("faraway");
  await alpha.must(
    "peer",
    "add",
    "faraway",
    "--pubkey",
    faraway.pubkey,
    "--address",
    faraway.address,
  );
  await alpha.must("peer", "add", "noaddr", "--pubkey", gamma.pubkey);
  putFile(pair.src("usage"), "file.txt", "usage\n");
  putFile(pair.dst("usage"), "there.txt", "beta\n");
});
afterAll(() => peers.cleanup());
afterEach(() => pair.killRuns());

const NO_STACK = /^\s+at /m;

describe("exit 1: the peer cannot do it", () => {
  test.each([
    ["push to a peer that does not answer", ["push", "usage", "faraway"], /faraway/],
    ["pull from a peer that does not answer", ["pull", "usage", "faraway"], /faraway/],
    ["push of an arena the peer does not have", ["push", "lonely", "beta"], /lonely/],
    ["pull of an arena the peer does not have", ["pull", "lonely", "beta"], /lonely/],
    ["push to a peer where the arena has no root", ["push", "cacheonly", "beta"], /cacheonly/],
  ])("%s", async (_name, args, named) => {
    const before = [diskTree(pair.src("usage")), diskTree(pair.dst("usage"))];
    const run = await alpha.run(...args, "--json");
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(named);
    expect(run.stderr).not.toMatch(NO_STACK);
    expect([diskTree(pair.src("usage")), diskTree(pair.dst("usage"))]).toEqual(before);
  });
});

describe("exit 2: bad usage, nothing touched", () => {
  test.each([
    ["an unknown arena", ["push", "nope", "beta"], /nope/],
    ["an unknown peer", ["push", "usage", "nobody"], /nobody/],
    ["a PATH that climbs out", ["push", "usage", "beta", "../x"], /\.\.\/x/],
    [
      "a PATH that climbs out of a pull",
      ["pull", "usage", "beta", "a/../../b"],
      /a\/\.\.\/\.\.\/b/,
    ],
    ["an absolute PATH", ["push", "usage", "beta", "/etc/passwd"], /\/etc\/passwd/],
    ["a bad PATH to an unreachable peer", ["push", "usage", "faraway", "../x"], /\.\.\/x/],
    ["a bad --max-duration", ["push", "usage", "beta", "--max-duration", "soon"], /soon/],
    ["a negative --max-duration", ["push", "usage", "beta", "--max-duration", "-5s"], /-5s/],
    ["a bad --max-rate", ["push", "usage", "beta", "--max-rate", "fast"], /fast/],
    ["a bad --progress", ["push", "usage", "beta", "--progress", "loud"], /loud/],
    ["an unknown flag", ["push", "usage", "beta", "--frobnicate"], /frobnicate/],
    ["a missing PEER", ["push", "usage"], /peer/i],
    ["a peer without an address", ["pull", "usage", "noaddr"], /noaddr/],
  ])("%s", async (_name, args, named) => {
    const before = [diskTree(pair.src("usage")), diskTree(pair.dst("usage"))];
    const run = await alpha.run(...args, "--json");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(named);
    expect(run.stderr).not.toMatch(NO_STACK);
    expect([diskTree(pair.src("usage")), diskTree(pair.dst("usage"))]).toEqual(before);
  });
});

describe("exit 3: some files failed, each listed with its reason", () => {
  test("a symlink at the destination where the source has a directory: refused by name, never written through", async () => {
    const src = pair.src("refuse");
    const dst = pair.dst("refuse");
    putFile(src, "ok.txt", "fine\n");
    putFile(src, "dir/f.txt", "behind the link\n");
    putFile(src, "dir/sub/g.bin", noise(300 * 1024, 1));
    putFile(src, "file-here/x.txt", "the destination has a file named file-here\n");
    putFile(src, "dir-there", "the destination has a directory named dir-there\n");
    const outside = pair.beta.machine.path("outside");
    mkdirSync(outside);
    symlinkSync(outside, join(dst, "dir"));
    putFile(dst, "file-here", "a file\n");
    mkdirSync(join(dst, "dir-there"));

    const run = await pair.transfer(alpha, "push", "refuse", "beta", "--progress", "log");
    expect(run.code).toBe(3);
    const failed = new Map(run.summary.failed.map((f) => [f.path, f.error]));
    for (const path of ["dir/f.txt", "dir/sub/g.bin"]) {
      expect(failed.get(path)).toMatch(/symlink/);
      expect(run.stderr).toContain(`failed ${path}`);
    }
    expect(run.stderr).not.toContain("EEXIT");
    expect(failed.get("file-here/x.txt")).toMatch(/file/);
    expect(failed.get("dir-there")).toMatch(/directory/);
    expect(run.summary.files.failed).toBe(run.summary.failed.length);
    expect(readdirSync(outside)).toEqual([]);
    expect(diskTree(dst)["ok.txt"]).toEqual(diskTree(src)["ok.txt"]!);
    expect(diskTree(dst)["file-here"]).toMatchObject({ kind: "file", size: 7 });
    expect(partialsUnder(dst)).toEqual([]);
  });

  test("a PATH the source does not have is listed", async () => {
    putFile(pair.src("missing"), "here.txt", "here\n");
    const run = await pair.transfer(alpha, "push", "missing", "beta", "here.txt", "not/there");
    expect(run.code).toBe(3);
    expect(run.summary.failed.map((f) => f.path)).toEqual(["not/there"]);
    expect(run.summary.failed[0]!.error).toMatch(/not/);
    expect(existsSync(join(pair.dst("missing"), "here.txt"))).toBe(true);
  });

  test("a FIFO in the source is listed, never opened; the rest is sent", async () => {
    const src = pair.src("special");
    putFile(src, "plain.txt", "plain\n");
    expect(Bun.spawnSync(["mkfifo", join(src, "pipe")]).exitCode).toBe(0);
    const run = await pair.transfer(alpha, "push", "special", "beta");
    expect(run.code).toBe(3);
    expect(run.summary.failed.map((f) => f.path)).toEqual(["pipe"]);
    expect(run.summary.failed[0]!.error).toMatch(/FIFO/);
    expect(existsSync(join(pair.dst("special"), "plain.txt"))).toBe(true);
    expect(existsSync(join(pair.dst("special"), "pipe"))).toBe(false);
  });

  test("from cron (--progress none, no --json) each failed file is still named on stderr", async () => {
    const run = await alpha.run("push", "special", "beta", "--progress", "none");
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^failed pipe: .*FIFO/);
  });

  test("an unreadable source file is listed with its reason; the rest is sent", async () => {
    const src = gamma.machine.path("arenas", "unreadable");
    putFile(src, "readable.txt", "readable\n");
    putFile(src, "secret.txt", "nobody may read this\n");
    putFile(src, "big-secret.bin", noise(400 * 1024, 3));
    const owner = process.getuid?.() === 0 ? "65534" : undefined;
    if (owner) Bun.spawnSync(["chown", "-R", `${owner}:${owner}`, gamma.machine.dir]);
    chmodSync(join(src, "secret.txt"), 0);
    chmodSync(join(src, "big-secret.bin"), 0);
    const run = await runUnprivileged(gamma, [
      "push",
      "unreadable",
      "beta",
      "--json",
      "--progress",
      "none",
    ]);
    expect(run.code).toBe(3);
    const summary = JSON.parse(run.stdout);
    expect(summary.failed.map((f: { path: string }) => f.path)).toEqual([
      "big-secret.bin",
      "secret.txt",
    ]);
    for (const f of summary.failed) expect(f.error).toMatch(/permission denied|EACCES/i);
    const dst = pair.dst("unreadable");
    expect(Object.keys(diskTree(dst))).toEqual(["readable.txt"]);
  });
});

/** Runs `realize ARGS…` as `peer`, as user nobody when this test runs as root. */
async function runUnprivileged(peer: TestPeer, args: string[]): Promise<CliRun> {
  const asNobody =
    process.getuid?.() === 0
      ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
      : [];
  return peer.machine.runAfter(asNobody, args);
}

describe("exit 4: stopped early, and a rerun completes", () => {
  test("--max-duration stops a slow push cleanly; nothing torn; a rerun resumes", async () => {
    const src = pair.src("interrupt");
    const dst = pair.dst("interrupt");
    // Up to 2 MiB of writes are in flight when the stop comes: the file must be longer.
    const SIZE = 6 * MiB;
    putFile(src, "big.bin", noise(SIZE, 7));
    putFile(src, "small.txt", "small\n");
    const run = await pair.transfer(
      alpha,
      "push",
      "interrupt",
      "beta",
      "--max-duration",
      "1s",
      "--max-rate",
      "2MB/s",
    );
    expect(run.code).toBe(4);
    expect(run.stderr).not.toContain("EEXIT");
    expect(run.summary.interrupted).toBe(true);
    expect(existsSync(join(dst, "big.bin"))).toBe(false);
    expect(partialsUnder(dst)).toEqual([".big.bin.realize-partial"]);

    const again = await pair.transfer(alpha, "push", "interrupt", "beta");
    expect(again.code).toBe(0);
    expect(again.summary.bytes.sent).toBeGreaterThan(0);
    expect(again.summary.bytes.sent).toBeLessThan(SIZE);
    expect(diskTree(dst)).toEqual(diskTree(src));
  });

  test("a stop at a slow --max-rate does not wait for the data already queued", async () => {
    const src = pair.src("signal");
    const dst = pair.dst("signal");
    putFile(src, "slow.bin", noise(3 * MiB, 45));
    // At 100 KB/s the 2 MiB of writes in flight take 20 s to drain: the stop must not wait.
    const running = pair.spawn(
      alpha,
      "push",
      "signal",
      "beta",
      "slow.bin",
      "--max-rate",
      "100KB/s",
    );
    await waitFor("the partial at beta", () => partialsUnder(dst).length > 0);
    running.child.kill("SIGINT");
    const exited = await Promise.race([running.done, Bun.sleep(8000).then(() => undefined)]);
    expect(exited?.code).toBe(4);
    expect(existsSync(join(dst, "slow.bin"))).toBe(false);
    const again = await pair.transfer(alpha, "push", "signal", "beta", "slow.bin");
    expect(again.code).toBe(0);
    expect(diskTree(dst)["slow.bin"]).toEqual(diskTree(src)["slow.bin"]!);
  });

  test.each(["SIGTERM", "SIGINT"] as const)(
    "%s stops a push cleanly with exit 4 and its summary; a rerun completes",
    async (signal) => {
      const src = pair.src("signal");
      const dst = pair.dst("signal");
      putFile(src, `${signal}.bin`, noise(3 * MiB, signal === "SIGTERM" ? 41 : 43));
      const running = pair.spawn(alpha, "push", "signal", "beta", "--max-rate", "4MB/s", "--json");
      await waitFor("the partial at beta", () => partialsUnder(dst).length > 0);
      running.child.kill(signal);
      const run = await running.done;
      expect(run.code).toBe(4);
      expect(JSON.parse(run.stdout)).toMatchObject({ interrupted: true });
      expect(existsSync(join(dst, `${signal}.bin`))).toBe(false);

      const again = await pair.transfer(alpha, "push", "signal", "beta");
      expect(again.code).toBe(0);
      expect(diskTree(dst)).toEqual(diskTree(src));
    },
  );
});
