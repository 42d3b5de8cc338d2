import { expect, test } from "bun:test";
import { join } from "node:path";
import { phase } from "./phase-timer.ts";

const script = `
import { phase } from ${JSON.stringify(join(import.meta.dir, "phase-timer.ts"))};
for (let i = 0; i < 3; i++) { const end = phase("list both sides"); await Bun.sleep(5); end(); }
`;

test.each([
  ["1", true],
  ["", false],
])("REALIZE_TIMING=%p: totals on stderr at exit: %p", (value, shown) => {
  const run = Bun.spawnSync(["bun", "-e", script], {
    env: { ...process.env, REALIZE_TIMING: value },
    stderr: "pipe",
  });
  expect(run.exitCode).toBe(0);
  const err = run.stderr.toString();
  if (!shown) {
    expect(err).toBe("");
    return;
  }
  const line = err.split("\n").find((l) => l.includes("list both sides"));
  expect(line).toMatch(/list both sides\s+\d+\.\d ms\s+3 ×/);
});

test("without REALIZE_TIMING a phase costs nothing but a call", () => {
  if (process.env.REALIZE_TIMING) return;
  expect(phase("a")).toBe(phase("b"));
});
