import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { partialsUnder } from "../fixtures/disk-tree.ts";
import { noise } from "../fixtures/noise.ts";
import { linkPeers, type TestPeer, TestPeers, waitFor } from "../fixtures/peers.ts";

/**
 * `realize status` with and without a daemon, and `push --background` handing a job to
 * the local daemon, on real processes over real TLS.
 */
const peers = new TestPeers();
let alpha: TestPeer;
let beta: TestPeer;

beforeAll(async () => {
  alpha = await peers.make("alpha");
  beta = await peers.make("beta");
  await linkPeers(alpha, beta, { maxRate: "4MB/s" });
  for (const p of [alpha, beta]) {
    const root = p.machine.path("files");
    mkdirSync(root);
    await p.must("arena", "add", "docs", "--root", root);
  }
  const big = new Uint8Array(6 * 1024 * 1024).map((_, i) => (i * 7919) % 251);
  writeFileSync(alpha.machine.path("files", "big.bin"), big);
  writeFileSync(alpha.machine.path("files", "note.txt"), "hello");
});
afterAll(() => peers.cleanup());

describe("status", () => {
  test("without a daemon it shows arenas and peers, not connected", async () => {
    const run = await alpha.must("status", "--json");
    const s = JSON.parse(run.stdout);
    expect(s.peer).toBe("alpha");
    expect(s.daemon.running).toBe(false);
    expect(s.arenas).toEqual([
      {
        name: "docs",
        root: alpha.machine.path("files"),
        mode: "mirror",
        real: { files: 0, bytes: 0 },
        unreal: { files: 0, bytes: 0 },
        conflicts: 0,
        cache: { used: 0, max: 1024 ** 3 },
      },
    ]);
    expect(s.peers).toEqual([
      { name: "beta", address: beta.address, connected: null, last_seen: null, history_lag: null },
    ]);
    const text = await alpha.must("status");
    expect(text.stdout).toContain("no realize serve runs");
    expect(text.stdout).toContain("docs");
  });

  test("an unknown arena is a usage error", async () => {
    const run = await alpha.run("status", "nope");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("arena nope");
  });

  test("--background without a daemon exits 1 and says to start one", async () => {
    const run = await alpha.run("push", "docs", "beta", "--background");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no realize serve runs");
  });

  test("a background push runs in the daemon and status follows it to the end", async () => {
    await Promise.all([alpha.serve(), beta.serve()]);
    const started = await alpha.must("push", "docs", "beta", "--background", "--json");
    const { job } = JSON.parse(started.stdout);
    expect(job).toBe(1);
    let sawRunning = false;
    await waitFor("the background job to end", async () => {
      const s = JSON.parse((await alpha.must("status", "--json")).stdout);
      const j = s.jobs.find((x: { id: number }) => x.id === job);
      if (j?.state === "running") sawRunning = true;
      return j !== undefined && j.state !== "running";
    });
    const s = JSON.parse((await alpha.must("status", "--json")).stdout);
    expect(sawRunning).toBe(true);
    expect(s.daemon.running).toBe(true);
    expect(s.jobs[0]).toMatchObject({
      id: 1,
      direction: "push",
      arena: "docs",
      peer: "beta",
      state: "done",
    });
    expect(s.jobs[0].files).toMatchObject({ total: 2, sent: 2, failed: 0 });
    expect(
      readFileSync(beta.machine.path("files", "big.bin")).equals(
        readFileSync(alpha.machine.path("files", "big.bin")),
      ),
    ).toBe(true);
    expect(s.arenas[0].real.files).toBe(2);
    expect((await alpha.must("status")).stdout).toMatch(/push docs → beta\s+done/);
  }, 60_000);

  test("a background job for an unknown arena is refused before it starts", async () => {
    const run = await alpha.run("pull", "nope", "beta", "--background");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("arena nope");
    const s = JSON.parse((await alpha.must("status", "--json")).stdout);
    expect(s.jobs.map((j: { arena: string }) => j.arena)).toEqual(["docs"]);
  });

  test("status shows the daemon connected to its peer", async () => {
    await waitFor("alpha connected to beta", async () => {
      const s = JSON.parse((await alpha.must("status", "--json")).stdout);
      return s.peers[0]?.connected === true;
    });
    const s = JSON.parse((await alpha.must("status", "--json")).stdout);
    expect(s.peers[0].last_seen).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await alpha.must("status")).stdout).toMatch(/beta\s+127\.0\.0\.1:\d+\s+yes/);
  });
});

describe("a background job whose daemon dies", () => {
  test("kill -9 of the daemon mid-job: nothing torn at the peer; after a restart a push resumes", async () => {
    const MiB = 1024 * 1024;
    const data = Buffer.from(noise(8 * MiB, 61));
    writeFileSync(alpha.machine.path("files", "killed.bin"), data);
    await alpha.must("push", "docs", "beta", "--background");
    const partial = beta.machine.path("files", ".killed.bin.realize-partial");
    await waitFor("killed.bin's partial to reach 2 MiB", () => {
      try {
        return statSync(partial).size >= 2 * MiB;
      } catch {
        return false;
      }
    });
    await alpha.daemon!.stop("SIGKILL", 0);
    expect(existsSync(beta.machine.path("files", "killed.bin"))).toBe(false);

    await alpha.serve();
    const again = await alpha.must("push", "docs", "beta", "--json", "--progress", "none");
    const summary = JSON.parse(again.stdout);
    expect(summary.bytes.sent).toBeLessThanOrEqual(6 * MiB + 64 * 1024);
    expect(readFileSync(beta.machine.path("files", "killed.bin")).equals(data)).toBe(true);
    expect(partialsUnder(beta.machine.path("files"))).toEqual([]);
  }, 60_000);
});
