import { expect, test } from "bun:test";
import { resolve } from "node:path";

/** Lint and types are part of the suite: a commit that breaks either fails CI. */
const ROOT = resolve(import.meta.dir, "..");

function run(cmd: string[]): { code: number; out: string } {
  const p = Bun.spawnSync(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: `${p.stdout.toString()}${p.stderr.toString()}` };
}

test("biome check passes", () => {
  const r = run(["bunx", "biome", "check", "."]);
  if (r.code !== 0) console.error(r.out);
  expect(r.code).toBe(0);
});

test("tsc --noEmit (strict) passes", () => {
  const r = run(["bunx", "tsc", "--noEmit", "-p", "."]);
  if (r.code !== 0) console.error(r.out.slice(0, 20000));
  expect(r.code).toBe(0);
}, 120_000);
