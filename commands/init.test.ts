import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ScratchPeer } from "../fixtures/realize-cli.ts";

let peers: ScratchPeer[] = [];
const scratch = (options?: ConstructorParameters<typeof ScratchPeer>[0]) => {
  const peer = new ScratchPeer(options);
  peers.push(peer);
  return peer;
};
afterEach(() => {
  for (const p of peers) p.cleanup();
  peers = [];
});

describe("realize init", () => {
  test("creates REALIZE_HOME 0700, key.pem 0600, a commented config; prints key and next steps", async () => {
    const peer = scratch();
    const run = await peer.run("init", "--name", "laptop", "--listen", "127.0.0.1:7000");
    expect(run.code).toBe(0);
    const [first] = run.stdout.split("\n");
    expect(first).toMatch(/^laptop ed25519:[a-z2-7]{52}$/);
    for (const step of ["peer add laptop --pubkey", "peer add NAME", "arena add", "serve"]) {
      expect(run.stdout).toContain(step);
    }
    expect(statSync(peer.realizeHome).mode & 0o777).toBe(0o700);
    const key = join(peer.realizeHome, "key.pem");
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, "utf8")).toStartWith("-----BEGIN PRIVATE KEY-----");
    const config = readFileSync(join(peer.realizeHome, "config.toml"), "utf8");
    expect(config).toContain('name = "laptop"');
    expect(config).toContain('listen = "127.0.0.1:7000"');
    expect(config).toContain("# [peers.");
  });

  test("refuses a second time with exit 2, touching neither key nor config", async () => {
    const peer = scratch();
    expect((await peer.run("init", "--name", "laptop")).code).toBe(0);
    const config = join(peer.realizeHome, "config.toml");
    writeFileSync(config, `${readFileSync(config, "utf8")}# my note\n`);
    const before = [readFileSync(join(peer.realizeHome, "key.pem")), readFileSync(config)];
    const again = await peer.run("init", "--name", "other");
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("a key already exists");
    expect(again.stdout).toBe("");
    expect(readFileSync(join(peer.realizeHome, "key.pem"))).toEqual(before[0]!);
    expect(readFileSync(config)).toEqual(before[1]!);
  });

  test.each([
    [["init", "--name", "Laptop"], '--name: peer name "Laptop" has "L"'],
    [["init", "--name", "x", "--listen", "0.0.0.0:65536"], "--listen port must be"],
    [["init"], "Missing required flag name"],
  ])("%p is a usage error: exit 2, nothing created", async (args, words) => {
    const peer = scratch();
    const run = await peer.run(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(words);
    expect(run.stderr).not.toContain("    at ");
    expect(existsSync(peer.realizeHome)).toBe(false);
  });

  test("without REALIZE_HOME, uses ~/.config/realize", async () => {
    const peer = scratch({ xdg: true });
    expect((await peer.run("init", "--name", "desk")).code).toBe(0);
    const dir = join(peer.home, ".config", "realize");
    expect(statSync(join(dir, "key.pem")).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const id = await peer.run("id");
    expect(id.code).toBe(0);
    expect(id.stdout).toStartWith("desk ed25519:");
  });

  test("XDG_CONFIG_HOME moves the config and key", async () => {
    const peer = scratch({ xdg: true });
    peer.env.XDG_CONFIG_HOME = peer.path("xdg-config");
    expect((await peer.run("init", "--name", "desk")).code).toBe(0);
    expect(existsSync(peer.path("xdg-config", "realize", "key.pem"))).toBe(true);
    expect(existsSync(join(peer.home, ".config"))).toBe(false);
  });

  test("--config FILE writes the config there", async () => {
    const peer = scratch();
    const file = peer.path("elsewhere", "my.toml");
    expect((await peer.run("init", "--name", "desk", "--config", file)).code).toBe(0);
    expect(readFileSync(file, "utf8")).toContain('name = "desk"');
    expect(existsSync(join(peer.realizeHome, "config.toml"))).toBe(false);
    expect((await peer.run("id", "--config", file)).stdout).toStartWith("desk ed25519:");
  });
});
