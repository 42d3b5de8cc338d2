import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ScratchPeer } from "../../fixtures/realize-cli.ts";

describe("realize arena add/list/remove", () => {
  const peer = new ScratchPeer();
  const config = join(peer.realizeHome, "config.toml");
  const photos = peer.path("Photos");
  beforeAll(async () => {
    await peer.run("init", "--name", "laptop");
    mkdirSync(join(photos, "2024"), { recursive: true });
    mkdirSync(peer.path("Music"));
    writeFileSync(join(photos, "a.jpg"), "jpeg");
    writeFileSync(config, `${readFileSync(config, "utf8")}\n# hand-written: keep me\n`);
  });
  afterAll(() => peer.cleanup());

  test("add, list and remove round trip, keeping the hand-written comment and the files", async () => {
    expect((await peer.run("arena", "add", "photos", "--root", photos)).code).toBe(0);
    const music = await peer.run(
      "arena",
      "add",
      "music",
      "--root",
      "Music",
      "--mode",
      "partial",
      "--cache-max",
      "20GiB",
    );
    expect(music.code).toBe(0);
    expect((await peer.run("arena", "add", "archive")).code).toBe(0);
    const list = await peer.run("arena", "list", "--json");
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      { name: "archive", root: null, mode: "partial", cache_max: 1024 ** 3 },
      { name: "music", root: peer.path("Music"), mode: "partial", cache_max: 20 * 1024 ** 3 },
      { name: "photos", root: photos, mode: "mirror", cache_max: 1024 ** 3 },
    ]);
    const table = await peer.run("arena", "list");
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+MODE\s+CACHE_MAX\s+ROOT$/);
    expect(table.stdout).toContain("20GiB");

    expect((await peer.run("arena", "remove", "photos")).code).toBe(0);
    expect(readFileSync(join(photos, "a.jpg"), "utf8")).toBe("jpeg");
    const after = JSON.parse((await peer.run("arena", "list", "--json")).stdout);
    expect(after.map((a: { name: string }) => a.name)).toEqual(["archive", "music"]);
    expect(readFileSync(config, "utf8")).toContain("# hand-written: keep me");
  });

  test.each([
    [
      ["arena", "add", "other", "--root", "Music"],
      'the same directory as the root of arena "music"',
    ],
    [["arena", "add", "other", "--root", "nope"], "does not exist; create it first"],
    [["arena", "add", "music", "--root", "Photos"], 'an arena named "music" is already in'],
    [["arena", "add", "m", "--mode", "mirror"], "a mirror arena needs --root"],
    [["arena", "add", "m", "--mode", "copy"], "Expected --mode=copy to be one of: mirror, partial"],
    [["arena", "add", "m", "--cache-max", "10XB"], 'unknown unit "XB"'],
    [["arena", "add", "m", "--cache-max", "-1MB"], "must not be negative"],
    [["arena", "remove", "ghost"], 'no arena named "ghost"'],
  ])("%p: exit 2, config untouched, nothing created", async (args, words) => {
    const before = readFileSync(config, "utf8");
    const run = await peer.run(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(words);
    expect(run.stderr).not.toContain("    at ");
    expect(readFileSync(config, "utf8")).toBe(before);
    expect(existsSync(peer.path("nope"))).toBe(false);
  });

  test("a root that went missing is a warning on stderr, and is not created", async () => {
    rmSync(peer.path("Music"), { recursive: true });
    const run = await peer.run("arena", "list", "--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).map((a: { name: string }) => a.name)).toEqual([
      "archive",
      "music",
    ]);
    expect(run.stderr).toContain(`arena music: root ${peer.path("Music")} does not exist`);
    expect(existsSync(peer.path("Music"))).toBe(false);
  });
});
