import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addArena, arenaList, missingRoots, removeArena } from "./arenas.ts";
import { loadConfig } from "./config.ts";
import { initPeer } from "./init-peer.ts";
import { type PeerPaths, peerPaths } from "./paths.ts";

const base = mkdtempSync(join(tmpdir(), "realize-arenas-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let count = 0;
let paths: PeerPaths;
let trees: string;

beforeEach(async () => {
  const dir = join(base, `case${count++}`);
  paths = peerPaths({ REALIZE_HOME: join(dir, "home") });
  trees = join(dir, "trees");
  mkdirSync(join(trees, "photos", "2024"), { recursive: true });
  mkdirSync(join(trees, "music"), { recursive: true });
  writeFileSync(join(trees, "file"), "");
  await initPeer(paths, { name: "laptop" });
});

describe("addArena", () => {
  test("writes absolute roots and default modes; arenaList gives the JSON shape", async () => {
    await addArena(paths, { name: "photos", root: "photos/" }, trees);
    await addArena(paths, {
      name: "music",
      root: join(trees, "music"),
      mode: "partial",
      cacheMax: "20GiB",
    });
    await addArena(paths, { name: "archive" });
    expect(arenaList(await loadConfig(paths.config))).toEqual([
      { name: "archive", root: null, mode: "partial", cache_max: 1024 ** 3 },
      { name: "music", root: join(trees, "music"), mode: "partial", cache_max: 20 * 1024 ** 3 },
      { name: "photos", root: join(trees, "photos"), mode: "mirror", cache_max: 1024 ** 3 },
    ]);
  });

  test.each([
    [{ name: "Photos", root: "photos" }, 'arena name "Photos" has "P"'],
    [{ name: "x", root: "nope" }, "does not exist; create it first"],
    [{ name: "x", root: "file" }, "is not a directory"],
    [{ name: "x", mode: "mirror" }, "a mirror arena needs --root"],
    [{ name: "x", mode: "copy" }, '--mode must be "mirror" or "partial"'],
    [{ name: "x", cacheMax: "10XB" }, '--cache-max unknown unit "XB"'],
    [{ name: "x", cacheMax: "-1GiB" }, "--cache-max must not be negative"],
  ])("refuses %p as a usage error, file untouched", async (arena, words) => {
    const before = readFileSync(paths.config, "utf8");
    const err = await addArena(paths, arena, trees).catch((e) => e);
    expect(err).toMatchObject({ code: "usage" });
    expect(err.message).toContain(words);
    expect(readFileSync(paths.config, "utf8")).toBe(before);
    expect(existsSync(join(trees, "nope"))).toBe(false);
  });

  test.each([
    ["photos", 'is the same directory as the root of arena "photos"'],
    ["photos/2024", 'is inside the root of arena "photos"'],
    [".", 'contains the root of arena "photos"'],
    ["link", 'is the same directory as the root of arena "photos"'],
  ])("refuses root %p overlapping another arena's", async (root, words) => {
    symlinkSync(join(trees, "photos"), join(trees, "link"));
    await addArena(paths, { name: "photos", root: "photos" }, trees);
    const before = readFileSync(paths.config, "utf8");
    await expect(addArena(paths, { name: "other", root }, trees)).rejects.toThrow(words);
    expect(readFileSync(paths.config, "utf8")).toBe(before);
  });

  test("refuses a root that holds realize's own directories", async () => {
    await expect(addArena(paths, { name: "x", root: paths.configDir })).rejects.toThrow(
      "realize's own directory",
    );
    await expect(addArena(paths, { name: "x", root: join(paths.configDir, "..") })).rejects.toThrow(
      "contains realize's own directory",
    );
  });

  test("refuses a duplicate name", async () => {
    await addArena(paths, { name: "music", root: "music" }, trees);
    await expect(addArena(paths, { name: "music" })).rejects.toThrow('an arena named "music"');
  });
});

describe("removeArena", () => {
  test("removes the table and leaves the files in the root alone", async () => {
    writeFileSync(join(trees, "photos", "a.jpg"), "x");
    await addArena(paths, { name: "photos", root: "photos" }, trees);
    const removed = await removeArena(paths, "photos");
    expect(removed.root).toBe(join(trees, "photos"));
    expect(readFileSync(join(trees, "photos", "a.jpg"), "utf8")).toBe("x");
    expect(readFileSync(paths.config, "utf8")).not.toMatch(/^\[arenas\.photos\]/m);
  });

  test("an unknown arena is unknown_arena", async () => {
    await expect(removeArena(paths, "ghost")).rejects.toMatchObject({ code: "unknown_arena" });
  });
});

test("missingRoots reports roots that vanished, and creates nothing", async () => {
  await addArena(paths, { name: "music", root: "music" }, trees);
  rmSync(join(trees, "music"), { recursive: true });
  expect(await missingRoots(await loadConfig(paths.config))).toEqual([
    { arena: "music", reason: `root ${join(trees, "music")} does not exist` },
  ]);
  expect(existsSync(join(trees, "music"))).toBe(false);
});
