import { Errors, type Hook } from "@oclif/core";

/** Edit distance between two command ids, for "did you mean". */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The closest known command to `id`, if any is close enough to be a likely typo. */
export function closestCommand(id: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(id, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(id.length / 3))
    ? best
    : undefined;
}

/**
 * oclif hook for an unknown command: names it, suggests the closest command, points at
 * --help, and exits 2 (bad usage, CLI.md).
 */
const hook: Hook<"command_not_found"> = async (opts) => {
  const ids = opts.config.commandIDs.filter((c) => !c.startsWith("autocomplete:"));
  const shown = opts.id.replaceAll(":", " ");
  const guess = closestCommand(opts.id, ids);
  const lines = [`realize: unknown command "${shown}"`];
  if (guess) lines.push(`  did you mean: realize ${guess.replaceAll(":", " ")}`);
  lines.push("  hint: `realize --help` lists the commands");
  process.stderr.write(`${lines.join("\n")}\n`);
  throw new Errors.ExitError(2);
};

export default hook;
