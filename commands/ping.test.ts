import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freePort, linkPeers, type TestPeer, TestPeers } from "../fixtures/peers.ts";

const peers = new TestPeers();
let alpha: TestPeer;
let beta: TestPeer;
let gamma: TestPeer;

beforeAll(async () => {
  [alpha, beta, gamma] = await Promise.all([
    peers.make("alpha"),
    peers.make("beta"),
    peers.make("gamma"),
  ]);
  await linkPeers(alpha, beta);
  // alpha pins gamma's key on beta's address: another key answers there.
  await alpha.must("peer", "add", "impostor", "--pubkey", gamma.pubkey, "--address", beta.address);
  // gamma knows beta, but beta does not know gamma.
  await gamma.must("peer", "add", "beta", "--pubkey", beta.pubkey, "--address", beta.address);
  const nobody = await peers.make("nobody");
  await alpha.must(
    "peer",
    "add",
    "ghost",
    "--pubkey",
    nobody.pubkey,
    "--address",
    `127.0.0.1:${await freePort()}`,
  );
  await alpha.must("peer", "add", "phone", "--pubkey", (await peers.make("phone")).pubkey);
  await Promise.all([alpha.serve(), beta.serve()]);
});
afterAll(() => peers.cleanup());

describe("realize ping", () => {
  test("both ways: exit 0 with the round trip", async () => {
    const there = await alpha.run("ping", "beta");
    expect(there.code).toBe(0);
    expect(there.stdout).toMatch(
      new RegExp(`^beta ok \\d+\\.\\d ms \\(127\\.0\\.0\\.1:${beta.port}\\)\\n$`),
    );
    const back = await beta.run("ping", "alpha");
    expect(back.code).toBe(0);
    expect(back.stdout).toStartWith("alpha ok ");
  });

  test("--json: one document with peer, address, ok and rtt_ms", async () => {
    const run = await alpha.run("ping", "beta", "--json");
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json).toEqual({ peer: "beta", address: beta.address, ok: true, rtt_ms: json.rtt_ms });
    expect(json.rtt_ms).toBeGreaterThan(0);
  });

  test.each([
    ["impostor", "alpha", "key_mismatch", "key mismatch", "presented key"],
    ["ghost", "alpha", "unreachable", "unreachable", "cannot reach peer ghost"],
    ["beta", "gamma", "unknown_key", "unknown key", "does not know this peer's key"],
  ])("%s from %s: exit 1, %s", async (target, from, code, reason, words) => {
    const self = { alpha, gamma }[from as "alpha" | "gamma"];
    const text = await self.run("ping", target);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe("");
    expect(text.stderr).toStartWith(`realize: ping ${target}: ${reason}: `);
    expect(text.stderr).toContain(words);
    expect(text.stderr).toContain("hint:");
    const json = await self.run("ping", target, "--json");
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      peer: target,
      ok: false,
      error: { code, message: expect.stringContaining(words) },
    });
  });

  test.each([
    ["stranger", "no peer named stranger"],
    ["phone", "peer phone has no address"],
  ])("%s: exit 2 (%s), nothing dialled", async (target, words) => {
    const run = await alpha.run("ping", target, "--json");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(words);
  });

  test("the daemon pinged by the failures still answers", async () => {
    expect((await alpha.run("ping", "beta")).code).toBe(0);
  });
});
