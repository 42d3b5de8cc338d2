import { readFileSync } from "node:fs";

/** One thing the benchmark times: it returns its digest, and the CPU seconds of any child it ran. */
export interface Contender {
  name: string;
  run: () => Promise<{ out: string; childCpu?: number }>;
}

/** A contender's runs: wall seconds of the runs kept, and of all runs. */
export interface Timed {
  name: string;
  out: string;
  kept: number[];
  all: number[];
}

/** Seconds of CPU the whole machine spent busy since boot (from /proc/stat, 100 ticks/s). */
function machineBusy(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.slice(1).map(Number);
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100
  );
}

function ownCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * Times every contender once per round, rotating who goes first, until each has `runs` runs
 * during which other processes used less than a tenth of a core (the machine is shared:
 * a run that others slowed down says nothing about us), or `maxRounds` rounds have passed.
 */
export async function quietRuns(
  contenders: Contender[],
  runs: number,
  maxRounds: number,
): Promise<Timed[]> {
  const timed: Timed[] = contenders.map(({ name }) => ({ name, out: "", kept: [], all: [] }));
  for (let round = 0; round < maxRounds; round++) {
    if (timed.every((t) => t.kept.length >= runs)) break;
    for (let k = 0; k < contenders.length; k++) {
      const i = (round + k) % contenders.length;
      const t = timed[i]!;
      if (t.kept.length >= runs) continue;
      const busy = machineBusy();
      const own = ownCpu();
      const start = performance.now();
      const { out, childCpu = 0 } = await contenders[i]!.run();
      const wall = (performance.now() - start) / 1000;
      const others = machineBusy() - busy - (ownCpu() - own) - childCpu;
      t.out = out;
      t.all.push(wall);
      if (others < 0.1 * wall) t.kept.push(wall);
    }
  }
  return timed;
}

/** Median wall seconds of the kept runs, or of all runs when none was quiet. */
export function medianSeconds(t: Timed): number {
  const sorted = [...(t.kept.length > 0 ? t.kept : t.all)].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
