/**
 * Opt-in timing of named phases, for profiling push/pull: with REALIZE_TIMING=1 in the
 * environment, `phase(name)` returns a function that adds the time since the call to that
 * phase's total, and the totals (ms, calls, ms per call) go to stderr when the process
 * exits. Without the variable `phase` returns a shared no-op, so timed code pays one
 * property read. Overlapping calls of one phase each count in full (a sum of latencies).
 */

const enabled = typeof process !== "undefined" && Boolean(process.env.REALIZE_TIMING);
const totals = new Map<string, { ms: number; calls: number }>();
const noop = () => {};

function report(): void {
  if (totals.size === 0) return;
  const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const lines = rows.map(
    ([name, t]) =>
      `  ${name.padEnd(32)} ${t.ms.toFixed(1).padStart(9)} ms ${String(t.calls).padStart(7)} × ${((t.ms * 1000) / t.calls).toFixed(1)} µs`,
  );
  process.stderr.write(`realize timing (pid ${process.pid}):\n${lines.join("\n")}\n`);
  totals.clear();
}

if (enabled) {
  process.on("exit", report);
  process.on("SIGUSR2", report);
}

/** Starts timing one occurrence of phase `name`; call the result when it ends. */
export function phase(name: string): () => void {
  if (!enabled) return noop;
  const start = performance.now();
  return () => {
    const t = totals.get(name) ?? { ms: 0, calls: 0 };
    t.ms += performance.now() - start;
    t.calls++;
    totals.set(name, t);
  };
}
