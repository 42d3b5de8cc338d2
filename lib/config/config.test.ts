import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { isRealizeError, type RealizeError } from "../model/errors.ts";
import { loadConfig, parseConfig, rootOverlap } from "./config.ts";

const FIXTURES = resolve(import.meta.dir, "../../fixtures/configs");
const HOME = "/home/me";
const KEY_A = "ed25519:vobyudsdqhhsaklvzl2wdpi2ec7ee357vv4fnmucjoepino4y3la";
const KEY_B = "ed25519:sm65gaj4xjn7jgwjeot2uejtr7cjvp2wjmfubchwq54mh5wdvtea";

function fixture(kind: "good" | "bad", name: string): string {
  return readFileSync(join(FIXTURES, kind, name), "utf8");
}

function refusal(text: string, file = "config.toml"): RealizeError {
  try {
    parseConfig(text, file, HOME);
  } catch (err) {
    if (isRealizeError(err)) return err;
    throw err;
  }
  throw new Error("the config was accepted");
}

describe("good configs", () => {
  test("minimal: only a name, everything else defaults", () => {
    const config = parseConfig(fixture("good", "minimal.toml"), "/etc/x.toml", HOME);
    expect(config.file).toBe("/etc/x.toml");
    expect(config.peer).toEqual({ name: "laptop", listen: { host: "0.0.0.0", port: 7744 } });
    expect(Object.keys(config.peers)).toEqual([]);
    expect(Object.keys(config.arenas)).toEqual([]);
  });

  test("full: every key of CLI.md", () => {
    const config = parseConfig(fixture("good", "full.toml"), "full.toml", HOME);
    expect(config.peer.listen).toEqual({ host: "::", port: 7744 });
    expect(config.peer.metrics).toEqual({ host: "127.0.0.1", port: 9744 });
    const nas = config.peers.nas!;
    expect(nas.address).toEqual({ host: "nas.local", port: 7744 });
    expect(nas.pubkey).toBe(KEY_A);
    expect(nas.pubkeyRaw.length).toBe(32);
    expect(nas.maxRate).toBe(20_000_000);
    expect(config.peers.phone).toMatchObject({ maxRate: 1_048_576, pubkey: KEY_B });
    expect(config.peers.phone!.address).toBeUndefined();
    expect(config.arenas.photos).toEqual({
      name: "photos",
      root: "/home/me/Photos",
      mode: "mirror",
      cacheMax: 10 * 1024 ** 3,
    });
    expect(config.arenas.music).toEqual({
      name: "music",
      root: "/home/me/Music",
      mode: "partial",
      cacheMax: 1_500_000_000,
    });
    expect(config.arenas.archive).toEqual({ name: "archive", mode: "partial", cacheMax: 0 });
  });

  test("dotted keys, quoted keys and inline tables mean the same", () => {
    const config = parseConfig(fixture("good", "dotted-keys.toml"), "d.toml", HOME);
    expect(config.peer.name).toBe("desk");
    expect(config.peers.nas!.pubkey).toBe(KEY_A);
    expect(config.peers.phone!.address).toEqual({ host: "192.168.1.20", port: 7744 });
    expect(config.arenas.docs).toEqual({
      name: "docs",
      root: "/srv/docs",
      mode: "mirror",
      cacheMax: 1024 ** 3,
    });
  });

  test("a peer or arena named like an Object property is kept as data", () => {
    const text = `[peer]\nname = "x"\n[peers.constructor]\npubkey = "${KEY_A}"\n[peers.__proto__]\npubkey = "${KEY_B}"\n`;
    const config = parseConfig(text, "c.toml", HOME);
    expect(Object.keys(config.peers).sort()).toEqual(["__proto__", "constructor"]);
    expect(Object.getOwnPropertyDescriptor(config.peers, "__proto__")?.value.pubkey).toBe(KEY_B);
  });

  test("a byte order mark is allowed, and lines are still found", () => {
    expect(parseConfig('\uFEFF[peer]\nname = "x"\n', "c.toml", HOME).peer.name).toBe("x");
    expect(refusal('\uFEFF[peer]\nname = "X"\n').data).toMatchObject({ line: 2, key: "peer.name" });
  });
});

describe("bad configs name the file, the line and the key", () => {
  const files = readdirSync(join(FIXTURES, "bad")).filter((f) => f.endsWith(".toml"));

  test("there are samples", () => {
    expect(files.length).toBeGreaterThan(20);
  });

  test.each(files)("%s", (name) => {
    const text = fixture("bad", name);
    const expected = /^# expect: (.*)$/m.exec(text)?.[1];
    expect(expected).toBeDefined();
    const file = `/somewhere/${name}`;
    const err = refusal(text, file);
    expect(err.code).toBe("config");
    expect(err.message.split("\n")[0]).toStartWith(`${file}${expected}`);
    const [, line, key] = /^:(\d+): ([^:]+):/.exec(expected!) ?? [];
    expect(err.data.file).toBe(file);
    expect(err.data.line).toBe(Number(line));
    if (!expected!.includes("TOML syntax error")) expect(err.data.key).toBe(key);
  });

  test("every problem is reported, one line each, sorted by line", () => {
    const text = `[peer]
name = "laptop"
colour = 1
[peers.nas]
pubkey = "ed25519:x"
[arenas.a]
cache_max = "1XB"
`;
    const lines = refusal(text).message.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toStartWith("config.toml:3: peer.colour: unknown key");
    expect(lines[1]).toStartWith("config.toml:5: peers.nas.pubkey: must have 52 characters");
    expect(lines[2]).toStartWith('config.toml:7: arenas.a.cache_max: unknown unit "XB"');
  });
});

describe("loadConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "realize-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("reads and validates a file", async () => {
    const file = join(dir, "ok.toml");
    writeFileSync(file, fixture("good", "full.toml"));
    const config = await loadConfig(file);
    expect(config.file).toBe(file);
    expect(Object.keys(config.arenas)).toEqual(["photos", "music", "archive"]);
  });

  test("a missing file is config_missing naming the path", async () => {
    const file = join(dir, "nope.toml");
    const err = await loadConfig(file).catch((e: RealizeError) => e);
    expect(err).toMatchObject({ code: "config_missing", data: { file } });
    expect((err as RealizeError).message).toContain(file);
  });

  test("an unreadable file is a config error naming the path", async () => {
    const err = await loadConfig(dir).catch((e: RealizeError) => e);
    expect(err).toMatchObject({ code: "config", data: { file: dir } });
  });

  test("a file that is not UTF-8 is a config error", async () => {
    const file = join(dir, "latin1.toml");
    writeFileSync(file, Buffer.from([0x5b, 0x70, 0x65, 0x65, 0x72, 0x5d, 0x0a, 0xe9, 0x0a]));
    const err = await loadConfig(file).catch((e: RealizeError) => e);
    expect(err).toMatchObject({ code: "config" });
    expect((err as RealizeError).message).toContain("not UTF-8");
  });

  test("a syntax error names the file and the line", async () => {
    const file = join(dir, "syntax.toml");
    writeFileSync(file, fixture("bad", "syntax-error.toml"));
    chmodSync(file, 0o600);
    const err = await loadConfig(file).catch((e: RealizeError) => e);
    expect((err as RealizeError).message).toStartWith(`${file}:4: TOML syntax error:`);
  });
});

describe("rootOverlap", () => {
  test.each([
    ["/a/b", "/a/b", "is the same directory as"],
    ["/a/b/c", "/a/b", "is inside"],
    ["/a", "/a/b", "contains"],
    ["/a/bc", "/a/b", undefined],
    ["/a/b", "/a/bc", undefined],
    ["/", "/a", "contains"],
  ])("%p vs %p: %p", (root, other, words) => {
    expect(rootOverlap(root, other)).toBe(words);
  });
});

describe("junk never escapes as anything but RealizeError", () => {
  const check = (text: string) => {
    try {
      parseConfig(text, "junk.toml", HOME);
    } catch (err) {
      if (!isRealizeError(err)) throw err;
      expect(err.message).toMatch(/^junk\.toml(:\d+)?: /);
      if (err.data.line !== undefined) {
        expect(err.data.line).toBeGreaterThanOrEqual(1);
        expect(err.data.line).toBeLessThanOrEqual(text.split(/\r?\n/).length);
      }
    }
  };

  test("arbitrary text", () => {
    const unit = fc.oneof(
      fc.constantFrom(..."[]{}=.,#\"'\\\n\r\t 0123456789:+-_eE/abcnptx~\u00e9\ufeff\u0000"),
      fc.string({ minLength: 1, maxLength: 1 }),
    );
    fc.assert(fc.property(fc.string({ unit, maxLength: 200 }), check), { numRuns: 500 });
  });

  test("TOML-shaped text from config pieces", () => {
    const header = fc.constantFrom(
      "[peer]",
      "[peers.nas]",
      "[peers.NAS]",
      "[arenas.a]",
      "[arenas.a.b]",
      "[peers]",
      "[[peers]]",
      "[arenas]",
      '["peer"]',
      "[x]",
    );
    const key = fc.constantFrom(
      "name",
      "listen",
      "metrics",
      "address",
      "pubkey",
      "max_rate",
      "root",
      "mode",
      "cache_max",
      "nas.pubkey",
      "a.root",
      "peer",
      "__proto__",
      "constructor",
    );
    const value = fc.oneof(
      fc.constantFrom(
        `"${KEY_A}"`,
        '"laptop"',
        '"nas:7744"',
        '"[::1]:1"',
        '"10GiB"',
        '"-1"',
        '"mirror"',
        '"partial"',
        '"/srv/x"',
        '"~/x"',
        '"x"',
        "1979-05-27",
        "[1, 2]",
        "{ pubkey = 1 }",
        "true",
        "1.5",
        "inf",
        "nan",
        "-0",
        "9007199254740993",
      ),
      fc.integer().map(String),
      fc.string().map((s) => JSON.stringify(s)),
    );
    const line = fc.oneof(
      header,
      fc.tuple(key, value).map(([k, v]) => `${k} = ${v}`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => check(lines.join("\n"))),
      { numRuns: 1000 },
    );
  });
});
