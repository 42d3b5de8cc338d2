import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ScratchPeer } from "../fixtures/realize-cli.ts";

const BAD = resolve(import.meta.dir, "../fixtures/configs/bad");
const KEY_A = "ed25519:vobyudsdqhhsaklvzl2wdpi2ec7ee357vv4fnmucjoepino4y3la";

/** Every command that reads the config, with arguments that would otherwise work. */
const COMMANDS = [
  ["id"],
  ["id", "--json"],
  ["peer", "list", "--json"],
  ["peer", "add", "tablet", "--pubkey", KEY_A],
  ["peer", "remove", "nas"],
  ["arena", "list"],
  ["arena", "add", "docs"],
  ["arena", "remove", "photos"],
];

const SAMPLES = [
  ["unknown-key.toml", ":5: peer.colour: unknown key"],
  ["short-pubkey.toml", ':8: peers.nas.pubkey: must have 52 characters after "ed25519:", not 12'],
  ["unknown-unit.toml", ':6: arenas.photos.cache_max: unknown unit "XB"'],
  ["syntax-error.toml", ":4: TOML syntax error"],
];

describe("a bad config stops every command: exit 2, file:line: key on stderr, nothing touched", () => {
  const peer = new ScratchPeer();
  const config = join(peer.realizeHome, "config.toml");
  beforeAll(async () => {
    await peer.run("init", "--name", "laptop");
  });
  afterAll(() => peer.cleanup());

  test.each(SAMPLES)("%s", async (sample, expected) => {
    copyFileSync(join(BAD, sample), config);
    const before = readFileSync(config);
    const runs = await Promise.all(COMMANDS.map((args) => peer.run(...args)));
    runs.forEach((run, i) => {
      const what = `realize ${COMMANDS[i]!.join(" ")}`;
      expect({ what, code: run.code, stdout: run.stdout }).toEqual({ what, code: 2, stdout: "" });
      expect(run.stderr).toStartWith(`realize: ${config}${expected}`);
      expect(run.stderr).not.toContain("    at ");
    });
    expect(readFileSync(config)).toEqual(before);
  });
});

describe("--config FILE works on every command", () => {
  const peer = new ScratchPeer();
  const other = peer.path("other", "realize.toml");
  beforeAll(async () => {
    await peer.run("init", "--name", "laptop");
    mkdirSync(peer.path("other"));
    mkdirSync(peer.path("docs"));
    writeFileSync(other, '# other config\n[peer]\nname = "elsewhere"\n');
  });
  afterAll(() => peer.cleanup());

  test("reads and edits FILE, never the default config", async () => {
    const defaultConfig = readFileSync(join(peer.realizeHome, "config.toml"));
    const run = (...args: string[]) => peer.run(...args, "--config", other);
    expect((await run("id")).stdout).toStartWith("elsewhere ed25519:");
    expect((await run("peer", "add", "nas", "--pubkey", KEY_A)).code).toBe(0);
    expect((await run("arena", "add", "docs", "--root", peer.path("docs"))).code).toBe(0);
    expect(JSON.parse((await run("peer", "list", "--json")).stdout)).toHaveLength(1);
    expect(JSON.parse((await run("arena", "list", "--json")).stdout)).toHaveLength(1);
    expect((await run("peer", "remove", "nas")).code).toBe(0);
    expect((await run("arena", "remove", "docs")).code).toBe(0);
    expect(readFileSync(other, "utf8")).toBe('# other config\n[peer]\nname = "elsewhere"\n');
    expect(readFileSync(join(peer.realizeHome, "config.toml"))).toEqual(defaultConfig);
  });

  test("a bad FILE names FILE", async () => {
    const bad = join(BAD, "bits-rate.toml");
    const run = await peer.run("peer", "list", "--config", bad);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${bad}:6: peers.nas.max_rate: unknown unit "Mb"`);
  });

  test("a missing FILE is named, with a hint", async () => {
    const missing = peer.path("nope.toml");
    const run = await peer.run("arena", "list", "--config", missing);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`no config at ${missing}`);
    expect(run.stderr).toContain("hint:");
  });
});
