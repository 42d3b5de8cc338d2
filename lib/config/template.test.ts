import { expect, test } from "bun:test";
import { parse } from "smol-toml";
import { parseConfig } from "./config.ts";
import { configTemplate } from "./template.ts";

test("the template is a valid config with the given name and listen address", () => {
  const config = parseConfig(configTemplate({ name: "laptop", listen: "[::]:7000" }), "t.toml");
  expect(config.peer).toEqual({ name: "laptop", listen: { host: "::", port: 7000 } });
  expect(Object.keys(config.peers)).toEqual([]);
  expect(Object.keys(config.arenas)).toEqual([]);
});

test("every key of CLI.md is explained in a comment", () => {
  const text = configTemplate({ name: "x", listen: "0.0.0.0:7744" });
  const comments = text.split("\n").filter((l) => l.startsWith("#"));
  for (const key of [
    "metrics",
    "[peers.",
    "address",
    "pubkey",
    "max_rate",
    "[arenas.",
    "root",
    "mode",
    "cache_max",
  ]) {
    expect(comments.some((l) => l.includes(key))).toBe(true);
  }
});

test("the commented examples, uncommented, are a valid config too", () => {
  const text = configTemplate({ name: "x", listen: "0.0.0.0:7744" })
    .split("\n")
    .map((l) => (/^# (\[|[a-z_]+ = )/.test(l) ? l.slice(2) : l))
    .join("\n")
    .replace('"ed25519:…"', '"ed25519:vobyudsdqhhsaklvzl2wdpi2ec7ee357vv4fnmucjoepino4y3la"');
  const config = parseConfig(text, "t.toml", "/home/me");
  expect(config.peer.metrics).toEqual({ host: "127.0.0.1", port: 9744 });
  expect(config.peers.nas?.maxRate).toBe(20_000_000);
  expect(config.arenas.photos?.cacheMax).toBe(10 * 1024 ** 3);
});

test("a name is written as a TOML string whatever it contains", () => {
  const text = configTemplate({ name: 'a"b', listen: "0.0.0.0:7744" });
  expect((parse(text) as { peer: { name: string } }).peer.name).toBe('a"b');
});
