/**
 * Benchmark of scenario (d) alone: `realize push` of an arena of many 4 KiB files in 200
 * directories when nothing changed, repeated, against rsync in the same run. With several
 * `--repo DIR` (e.g. a checkout of an older commit and this one) each gets its own pair of
 * peers over the same source tree, and their pushes are interleaved (A B rsync, B A rsync…)
 * so that whatever else runs on the machine falls on all of them alike.
 * Usage: bun bench/sync/unchanged.ts [--files 20000] [--runs 10] [--repo DIR]...
 * `REALIZE_TIMING=1` prints realize's phase times for every push.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RealizePair } from "./realize-pair.ts";
import { RsyncDaemon } from "./rsync-daemon.ts";
import { smallTree } from "./small-tree.ts";

const argv = process.argv;
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
};
const FILES = Number(arg("files", "20000"));
const RUNS = Number(arg("runs", "10"));
const repos = argv.flatMap((a, i) =>
  a === "--repo" && argv[i + 1] ? [resolve(argv[i + 1]!)] : [],
);
if (repos.length === 0) repos.push(resolve(import.meta.dir, "../.."));

const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "realize-bench-unchanged-"));

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)]!;
  return `min ${s[0]!.toFixed(3)}  median ${median.toFixed(3)}  max ${s[s.length - 1]!.toFixed(3)} s`;
};

async function main(): Promise<void> {
  const src = join(work, "src");
  smallTree(src, FILES);
  const rsync = await RsyncDaemon.start(join(work, "rsync"), join(work, "rsync/dst"));
  const pairs: RealizePair[] = [];
  try {
    for (const [i, repo] of repos.entries()) {
      pairs.push(await RealizePair.start(repo, join(work, `realize${i}`), { small: src }));
    }
    await Bun.sleep(2500); // past the racy-timestamp window of the source files
    for (const pair of pairs) pair.push("small");
    rsync.push(src);
    await Bun.sleep(2500);
    const times: number[][] = repos.map(() => []);
    const rsyncTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const order = repos.map((_, i) => (i + run) % repos.length);
      for (const i of order) times[i]!.push(pairs[i]!.push("small").seconds);
      rsyncTimes.push(rsync.push(src).seconds);
    }
    console.log(`${FILES} files × 4 KiB, nothing changed, ${RUNS} runs each`);
    repos.forEach((repo, i) => {
      console.log(`realize ${repo}: ${stats(times[i]!)}`);
      console.log(`  ${times[i]!.map((t) => t.toFixed(3)).join(" ")}`);
    });
    console.log(`rsync: ${stats(rsyncTimes)}`);
  } finally {
    await Promise.all([...pairs.map((pair) => pair.stop()), rsync.stop()]);
    if (!argv.includes("--keep")) rmSync(work, { recursive: true, force: true });
  }
}

await main();
