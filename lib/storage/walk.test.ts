import { describe, expect, test } from "bun:test";
import { chmod, mkdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { ArenaPath } from "../model/arena-path.ts";
import { RealizeError } from "../model/errors.ts";
import { IgnoreRules } from "./ignore-rules.ts";
import { RealRoot } from "./real-root.ts";
import { tempRootEachTest, writeTree } from "./test-support.ts";
import { walkArena } from "./walk.ts";

const p = (text: string) => ArenaPath.parse(text);

const t = tempRootEachTest();

async function listed(options: Parameters<typeof walkArena>[1] = {}): Promise<string[]> {
  const result = await walkArena(t.root, options);
  return result.entries.map(
    (e) => `${e.kind === "dir" ? "d" : e.kind === "symlink" ? "l" : "f"} ${e.path.text}`,
  );
}

describe("walkArena", () => {
  test("lists files, empty directories and symlinks, sorted with each directory before its contents", async () => {
    await writeTree(t.dir, {
      "a b/x": "1",
      "a/b": "2",
      a0: "3",
      "empty/": { dir: true },
      "-dash": "",
      "ü/日本": "4",
      "deep/1/2/3/4/5/6/7/8/9/f": "5",
      link: { link: "/etc" },
    });
    expect(await listed()).toEqual([
      "f -dash",
      "d a",
      "f a/b",
      "d a b",
      "f a b/x",
      "f a0",
      "d deep",
      "d deep/1",
      "d deep/1/2",
      "d deep/1/2/3",
      "d deep/1/2/3/4",
      "d deep/1/2/3/4/5",
      "d deep/1/2/3/4/5/6",
      "d deep/1/2/3/4/5/6/7",
      "d deep/1/2/3/4/5/6/7/8",
      "d deep/1/2/3/4/5/6/7/8/9",
      "f deep/1/2/3/4/5/6/7/8/9/f",
      "d empty",
      "l link",
      "d ü",
      "f ü/日本",
    ]);
  });

  test("any tree comes out in ArenaPath.compare order, scoped or not, symlinks in place", async () => {
    const name = fc.constantFrom("a", "b", "a b", "a.b", "a0", "é", "😀", "\ue000", "\uffff", "-");
    const tree = fc.uniqueArray(fc.array(name, { minLength: 1, maxLength: 3 }), {
      minLength: 1,
      maxLength: 20,
      selector: (cs) => cs.join("/"),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(tree, fc.nat(), async (paths, pick) => {
        const dir = join(t.dir, String(run++));
        for (const cs of paths) await mkdir(join(dir, ...cs, ".."), { recursive: true });
        for (const [i, cs] of paths.entries()) {
          const at = join(dir, ...cs);
          // a path that is already a directory (a prefix of another) stays one
          if (i % 5 === 4) await symlink("target", at).catch(() => {});
          else await writeFile(at, "x").catch(() => {});
        }
        const root = new RealRoot(dir);
        const texts = (entries: { path: ArenaPath }[]) => entries.map((e) => e.path.text);
        const whole = (await walkArena(root)).entries;
        expect(texts(whole)).toEqual(
          texts([...whole].sort((a, b) => ArenaPath.compare(a.path, b.path))),
        );
        expect(new Set(texts(whole)).size).toBe(whole.length);
        const under = [whole[pick % whole.length]!.path, whole[(pick * 7) % whole.length]!.path];
        const scoped = (await walkArena(root, { under })).entries;
        expect(texts(scoped)).toEqual(
          texts(whole.filter((e) => under.some((u) => e.path.isWithin(u)))),
        );
      }),
      { numRuns: 40 },
    );
  });

  test("never follows a symlink to a directory, and keeps its text", async () => {
    await writeTree(t.outside, { "secret.txt": "s" });
    await writeTree(t.dir, { out: { link: t.outside }, rel: { link: "../outside" } });
    const { entries } = await walkArena(t.root);
    expect(entries.map((e) => [e.path.text, e.kind, e.target])).toEqual([
      ["out", "symlink", t.outside],
      ["rel", "symlink", "../outside"],
    ]);
  });

  test("reports size, mode, inode and times at nanosecond precision", async () => {
    await writeTree(t.dir, { "run.sh": "#!/bin/sh\n", zero: "" });
    await chmod(join(t.dir, "run.sh"), 0o755);
    await utimes(join(t.dir, "zero"), 1_000_000_000, 1_234_567_890);
    const { entries } = await walkArena(t.root);
    const [run, zero] = entries;
    expect(run).toMatchObject({ kind: "file", size: 10, mode: 0o755 });
    expect(typeof run!.ino).toBe("bigint");
    expect(run!.ctimeNs).toBeGreaterThan(0n);
    expect(zero).toMatchObject({ kind: "file", size: 0, mtimeNs: 1_234_567_890_000_000_000n });
  });

  test("never lists partial files, but reports them apart", async () => {
    await writeTree(t.dir, {
      "a.txt": "1",
      ".a.txt.realize-partial": "half",
      "d/.b.realize-partial": "half",
    });
    const result = await walkArena(t.root);
    expect(result.entries.map((e) => e.path.text)).toEqual(["a.txt", "d"]);
    expect(result.partials.map((x) => x.text)).toEqual([
      ".a.txt.realize-partial",
      "d/.b.realize-partial",
    ]);
  });

  test(".realizeignore: globs, negation, directory patterns, anchoring; ignored dirs not entered", async () => {
    await writeTree(t.dir, {
      ".realizeignore": "*.log\n!keep.log\nbuild/\n/top.tmp\ncache\n# comment\n",
      "a.log": "",
      "keep.log": "",
      "sub/b.log": "",
      "sub/keep.log": "",
      "build/out": "",
      "sub/build/out": "",
      "notdir/build": "a file called build is not matched by build/",
      "top.tmp": "",
      "sub/top.tmp": "",
      "cache/x": "",
      "sub/cache": "file",
    });
    expect(await listed()).toEqual([
      "f .realizeignore",
      "f keep.log",
      "d notdir",
      "f notdir/build",
      "d sub",
      "f sub/keep.log",
      "f sub/top.tmp",
    ]);
  });

  test("a file inside an ignored directory stays ignored despite a negation", async () => {
    await writeTree(t.dir, { ".realizeignore": "logs/\n!logs/important\n", "logs/important": "" });
    expect(await listed()).toEqual(["f .realizeignore"]);
  });

  test("explicit rules replace the root's file", async () => {
    await writeTree(t.dir, { ".realizeignore": "*.txt\n", "a.txt": "", "b.bin": "" });
    expect(await listed({ rules: IgnoreRules.none() })).toEqual([
      "f .realizeignore",
      "f a.txt",
      "f b.bin",
    ]);
    expect(await listed({ rules: IgnoreRules.parse("*.bin") })).toEqual([
      "f .realizeignore",
      "f a.txt",
    ]);
  });

  test("under: walks only the named paths, outermost once, respecting ignore rules", async () => {
    await writeTree(t.dir, {
      ".realizeignore": "*.tmp\n",
      "a/1": "",
      "a/b/2": "",
      "c/3": "",
      "c/x.tmp": "",
      "d/4": "",
    });
    const result = await walkArena(t.root, {
      under: [p("a/b"), p("a"), p("c/3"), p("c/x.tmp"), p("nope")],
    });
    expect(result.entries.map((e) => e.path.text)).toEqual(["a", "a/1", "a/b", "a/b/2", "c/3"]);
    expect(result.failures.map((f) => [f.path, f.error.code])).toEqual([["nope", "not_found"]]);
  });

  test("under: a path below a symlinked directory is a failure naming it", async () => {
    await writeTree(t.outside, { f: "" });
    await writeTree(t.dir, { l: { link: t.outside } });
    const result = await walkArena(t.root, { under: [p("l/f")] });
    expect(result.entries).toEqual([]);
    expect(result.failures[0]?.error.code).toBe("bad_path");
    expect(result.failures[0]?.error.message).toContain('"l" is a symlink');
  });

  test("bad names and special files are per-path failures; the rest is listed", async () => {
    await writeTree(t.dir, { ok: "", "sub/ok2": "" });
    await writeFile(Buffer.concat([Buffer.from(`${t.dir}/sub/`), Buffer.from([0x66, 0xff])]), "x");
    expect(Bun.spawnSync(["mkfifo", join(t.dir, "fifo")]).exitCode).toBe(0);
    const result = await walkArena(t.root);
    expect(result.entries.map((e) => e.path.text)).toEqual(["ok", "sub", "sub/ok2"]);
    expect(result.failures.map((f) => [f.path, f.error.code]).sort()).toEqual([
      ["fifo", "bad_path"],
      ["sub/f\\xff", "bad_path"],
    ]);
  });

  // root reads every directory whatever its mode, so this can only be seen as another user
  test.skipIf(process.getuid?.() === 0)(
    "an unreadable directory is a failure, not an exception",
    async () => {
      await mkdir(join(t.dir, "locked"));
      await chmod(join(t.dir, "locked"), 0);
      const result = await walkArena(t.root);
      expect(result.failures.map((f) => f.path)).toEqual(["locked"]);
    },
  );

  test("a path longer than 4096 bytes is a per-path failure; the walk goes on", async () => {
    const name = "d".repeat(250);
    const script = `for i in $(seq 18); do mkdir ${name} && cd ${name} || exit 1; done; echo deep > f`;
    expect(Bun.spawnSync(["bash", "-c", script], { cwd: t.dir, stderr: "ignore" }).exitCode).toBe(
      0,
    );
    await writeTree(t.dir, { shallow: "" });
    const result = await walkArena(t.root);
    expect(result.entries.map((e) => e.path.text)).toContain("shallow");
    expect(result.entries.every((e) => Buffer.byteLength(e.path.text) <= 4096)).toBe(true);
    expect(result.failures.length).toBeGreaterThan(0);
    expect(result.failures.every((f) => f.path.startsWith(name))).toBe(true);
  });

  test("a .realizeignore that is a symlink stops the walk rather than ignore nothing", async () => {
    await writeTree(t.outside, { rules: "*\n" });
    await writeTree(t.dir, { ".realizeignore": { link: join(t.outside, "rules") }, a: "" });
    const e = await walkArena(t.root).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RealizeError);
    expect((e as RealizeError).code).toBe("bad_path");
    expect((e as RealizeError).message).toContain(".realizeignore");
  });

  test("a missing root throws", async () => {
    await rm(t.dir, { recursive: true });
    await expect(walkArena(t.root)).rejects.toThrow();
  });
});
