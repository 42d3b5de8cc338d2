import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ScratchPeer } from "../../fixtures/realize-cli.ts";

const KEY_A = "ed25519:vobyudsdqhhsaklvzl2wdpi2ec7ee357vv4fnmucjoepino4y3la";
const KEY_B = "ed25519:sm65gaj4xjn7jgwjeot2uejtr7cjvp2wjmfubchwq54mh5wdvtea";

describe("realize peer add/list/remove", () => {
  const peer = new ScratchPeer();
  const config = join(peer.realizeHome, "config.toml");
  let ownKey = "";
  beforeAll(async () => {
    ownKey = (await peer.run("init", "--name", "laptop")).stdout.split("\n")[0]!.split(" ")[1]!;
    writeFileSync(config, `${readFileSync(config, "utf8")}\n# hand-written: keep me\n`);
  });
  afterAll(() => peer.cleanup());

  test("an empty household lists as [] and as a hint on stderr", async () => {
    expect(await peer.run("peer", "list", "--json")).toEqual({
      code: 0,
      stdout: "[]\n",
      stderr: "",
    });
    const text = await peer.run("peer", "list");
    expect(text.stdout).toBe("");
    expect(text.stderr).toContain("no peers");
  });

  test("add, list and remove round trip, keeping the hand-written comment", async () => {
    const added = await peer.run(
      "peer",
      "add",
      "nas",
      "--pubkey",
      KEY_A,
      "--address",
      "nas.local:7744",
      "--max-rate",
      "20MB/s",
    );
    expect(added.code).toBe(0);
    expect((await peer.run("peer", "add", "phone", "--pubkey", KEY_B)).code).toBe(0);
    const list = await peer.run("peer", "list", "--json");
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      { name: "nas", address: "nas.local:7744", pubkey: KEY_A, max_rate: 20_000_000 },
      { name: "phone", address: null, pubkey: KEY_B, max_rate: null },
    ]);
    const table = await peer.run("peer", "list");
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+ADDRESS\s+MAX_RATE\s+PUBKEY$/);
    expect(table.stdout).toContain("20MB/s");
    expect(readFileSync(config, "utf8")).toContain("# hand-written: keep me");

    expect((await peer.run("peer", "remove", "nas")).code).toBe(0);
    const after = await peer.run("peer", "list", "--json");
    expect(JSON.parse(after.stdout).map((p: { name: string }) => p.name)).toEqual(["phone"]);
    const text = readFileSync(config, "utf8");
    expect(text).toContain("# hand-written: keep me");
    expect(text).not.toContain(KEY_A);
  });

  test.each([
    [["peer", "add", "phone", "--pubkey", KEY_A], 'a peer named "phone" is already in'],
    [["peer", "add", "laptop", "--pubkey", KEY_A], "is this peer's own name"],
    [["peer", "add", "tablet", "--pubkey", "OWN"], "this peer's own key"],
    [["peer", "add", "tablet", "--pubkey", KEY_B], 'peer "phone" already has this key'],
    [["peer", "add", "tablet", "--pubkey", "ed25519:abc"], "--pubkey must have 52 characters"],
    [["peer", "add", "tablet", "--pubkey", KEY_A, "--address", "::1:7744"], "in brackets"],
    [["peer", "add", "tablet", "--pubkey", KEY_A, "--max-rate", "10XB/s"], 'unknown unit "XB"'],
    [["peer", "add", "Tablet", "--pubkey", KEY_A], 'peer name "Tablet" has "T"'],
    [["peer", "add", "tablet"], "Missing required flag pubkey"],
    [["peer", "remove", "ghost"], 'no peer named "ghost"'],
  ])("%p: exit 2, config untouched", async (args, words) => {
    const before = readFileSync(config, "utf8");
    const run = await peer.run(...args.map((a) => (a === "OWN" ? ownKey : a)));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(words);
    expect(run.stderr).not.toContain("    at ");
    expect(readFileSync(config, "utf8")).toBe(before);
  });

  test("--help explains with an example", async () => {
    const help = await peer.run("peer", "add", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("EXAMPLES");
    expect(help.stdout).toContain("--pubkey");
  });
});
