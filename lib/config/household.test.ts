import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "./config.ts";
import { addPeer, peerList, removePeer } from "./household.ts";
import { initPeer } from "./init-peer.ts";
import { type PeerPaths, peerPaths } from "./paths.ts";

const KEY_A = "ed25519:vobyudsdqhhsaklvzl2wdpi2ec7ee357vv4fnmucjoepino4y3la";
const KEY_B = "ed25519:sm65gaj4xjn7jgwjeot2uejtr7cjvp2wjmfubchwq54mh5wdvtea";

const base = mkdtempSync(join(tmpdir(), "realize-household-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let count = 0;
let paths: PeerPaths;
let ownKey: string;

beforeEach(async () => {
  paths = peerPaths({ REALIZE_HOME: join(base, `home${count++}`) });
  ownKey = (await initPeer(paths, { name: "laptop" })).identity.pubkey;
});

describe("addPeer", () => {
  test("writes the peer; peerList shows it in the JSON shape of CLI.md", async () => {
    await addPeer(paths, {
      name: "nas",
      pubkey: KEY_A,
      address: "nas.local:7744",
      maxRate: "20MB/s",
    });
    await addPeer(paths, { name: "phone", pubkey: KEY_B });
    expect(peerList(await loadConfig(paths.config))).toEqual([
      { name: "nas", address: "nas.local:7744", pubkey: KEY_A, max_rate: 20_000_000 },
      { name: "phone", address: null, pubkey: KEY_B, max_rate: null },
    ]);
    expect(readFileSync(paths.config, "utf8")).toContain('max_rate = "20MB/s"');
  });

  test.each([
    [{ name: "NAS", pubkey: KEY_A }, 'peer name "NAS" has "N"'],
    [
      { name: "nas", pubkey: "ed25519:abc" },
      '--pubkey must have 52 characters after "ed25519:", not 3',
    ],
    [{ name: "nas", pubkey: KEY_A, address: "nas.local" }, '--address "nas.local" has no port'],
    [{ name: "nas", pubkey: KEY_A, address: "nas:65536" }, "--address port must be"],
    [{ name: "nas", pubkey: KEY_A, maxRate: "10XB/s" }, '--max-rate unknown unit "XB"'],
    [{ name: "laptop", pubkey: KEY_A }, "is this peer's own name"],
    [{ name: "nas", pubkey: "OWN" }, "that is this peer's own key"],
  ])("refuses %p as a usage error, file untouched", async (peer, words) => {
    const before = readFileSync(paths.config, "utf8");
    const request = { ...peer, pubkey: peer.pubkey === "OWN" ? ownKey : peer.pubkey };
    const err = await addPeer(paths, request).catch((e) => e);
    expect(err).toMatchObject({ code: "usage" });
    expect(err.message).toContain(words);
    expect(readFileSync(paths.config, "utf8")).toBe(before);
  });

  test("refuses a duplicate name and a duplicate key", async () => {
    await addPeer(paths, { name: "nas", pubkey: KEY_A });
    const before = readFileSync(paths.config, "utf8");
    await expect(addPeer(paths, { name: "nas", pubkey: KEY_B })).rejects.toThrow(
      'a peer named "nas" is already in',
    );
    await expect(addPeer(paths, { name: "nas2", pubkey: KEY_A })).rejects.toThrow(
      'peer "nas" already has this key',
    );
    expect(readFileSync(paths.config, "utf8")).toBe(before);
  });

  test("a bad config is refused before anything is written", async () => {
    writeFileSync(paths.config, '[peer]\nname = "laptop"\nlisten = "x"\n');
    await expect(addPeer(paths, { name: "nas", pubkey: KEY_A })).rejects.toMatchObject({
      code: "config",
      data: { line: 3, key: "peer.listen" },
    });
    expect(readFileSync(paths.config, "utf8")).toBe('[peer]\nname = "laptop"\nlisten = "x"\n');
  });
});

describe("removePeer", () => {
  test("removes the table and its comment, keeps the rest", async () => {
    await addPeer(paths, { name: "nas", pubkey: KEY_A });
    const text = readFileSync(paths.config, "utf8").replace(
      "\n[peers.nas]",
      "\n# cellar\n[peers.nas]",
    );
    writeFileSync(paths.config, `${text}\n# my own note\n`);
    const removed = await removePeer(paths, "nas");
    expect(removed.pubkey).toBe(KEY_A);
    const after = readFileSync(paths.config, "utf8");
    expect(after).not.toContain("cellar");
    expect(after).not.toMatch(/^\[peers\.nas\]/m);
    expect(after).toContain("# my own note");
    expect(Object.keys((await loadConfig(paths.config)).peers)).toEqual([]);
  });

  test("an unknown peer is unknown_peer", async () => {
    await expect(removePeer(paths, "ghost")).rejects.toMatchObject({ code: "unknown_peer" });
  });

  test("a peer written inline is left for the user to remove", async () => {
    writeFileSync(
      paths.config,
      `[peer]\nname = "laptop"\n[peers]\nnas = { pubkey = "${KEY_A}" }\n`,
    );
    await expect(removePeer(paths, "nas")).rejects.toThrow("remove it by hand");
  });
});
