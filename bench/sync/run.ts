/**
 * Sync benchmark: realize push vs rsync (to an rsync daemon on loopback), same data, same
 * run. Scenarios (issue goals in brackets):
 *   (a) one big random file, first push          [time ≤ 0.7× rsync]
 *   (b) the same after 16 scattered 64 KiB edits  [time ≤ 0.5×, bytes ≤ 1.2× rsync]
 *   (c) 20,000 files of 4 KiB in 200 dirs, first  [files/s ≥ 1.5× rsync]
 *   (d) the same, nothing changed                 [time ≤ 0.3× rsync]
 * (a) and (b) run twice per tool, (c) three times, into separate destinations, alternating
 * who goes first, and each tool keeps its fastest run: on this VM, creating a file costs from
 * about 15 µs to 700 µs depending on how recently nearby inodes were deleted (ext4's
 * recently_deleted check), and memory that was freed is slow to touch again, so whoever
 * goes first into a cold spot pays for the one who follows.
 * rsync does not flush what it writes; realize makes every file durable before it counts it
 * as sent. After each rsync run the filesystem is flushed outside its timing (so that its
 * writeback does not slow whatever runs next) and that flush is shown beside it.
 * Usage: bun bench/sync/run.ts [--big 1GiB] [--files 20000] [--keep]
 * Needs rsync (REALIZE_SETUP_BENCH=1 bash scripts/setup.sh installs it).
 */
import {
  closeSync,
  copyFileSync,
  cpSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeNoiseFile } from "../../fixtures/noise.ts";
import { hashFile } from "../../lib/hash/index.ts";
import { RealizePair } from "./realize-pair.ts";
import { RsyncDaemon } from "./rsync-daemon.ts";
import { smallTree } from "./small-tree.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const UNITS: Record<string, number> = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const sizeOf = (t: string) => {
  const m = t.match(/^(\d+)(KiB|MiB|GiB)?$/);
  if (!m) throw new Error(`bad size ${t}`);
  return Number(m[1]) * (UNITS[m[2] ?? ""] ?? 1);
};
const BIG = sizeOf(arg("big", "1GiB"));
const FILES = Number(arg("files", "20000"));
const REPO = resolve(import.meta.dir, "../..");

const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "realize-bench-sync-"));

function scatteredEdits(path: string, size: number): void {
  const fd = openSync(path, "r+");
  const patch = new Uint8Array(64 * 1024).fill(0x5a);
  for (let i = 0; i < 16; i++) {
    const offset = Math.floor(((i + 0.37) / 16) * (size - patch.length));
    writeSync(fd, patch, 0, patch.length, offset);
  }
  closeSync(fd);
}

/**
 * µs to create (and write 4 KiB to) one file, over 200 new files in a scratch directory that
 * is kept (removing them would make the next creates slower): how costly creating files is
 * on this machine right now.
 */
function createProbe(work: string): number {
  const dir = join(work, "probe", String(performance.now()));
  mkdirSync(dir, { recursive: true });
  const data = new Uint8Array(4096);
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) writeFileSync(join(dir, `p${i}`), data);
  return Math.round(((performance.now() - t0) * 1000) / 200);
}

/**
 * What any tool that keeps the promises must spend on the big file on this
 * machine, whatever else it does: writing a copy of it durably (copy, then fsync) and
 * hashing it once with the BLAKE2b Merkle hash on one thread. Printed beside the table,
 * since they bound (a) and (b) from below.
 */
async function floors(
  work: string,
  big: string,
): Promise<{ durableCopy: number; hashOne: number }> {
  const copy = join(work, "floor-copy.bin");
  let t0 = performance.now();
  copyFileSync(big, copy);
  const fd = openSync(copy, "r");
  fsyncSync(fd);
  closeSync(fd);
  const durableCopy = (performance.now() - t0) / 1000;
  rmSync(copy);
  t0 = performance.now();
  await hashFile(big, { threads: 1 });
  const hashOne = (performance.now() - t0) / 1000;
  return { durableCopy, hashOne };
}

interface Row {
  name: string;
  realize: { seconds: number; sent: number; wire: number };
  rsync: { seconds: number; flushSeconds: number; bytesSent: number; literal: number };
  goal: string;
}

const fmtMB = (b: number) => `${(b / 1e6).toFixed(2)} MB`;

async function main(): Promise<void> {
  const rows: Row[] = [];
  const bigSrc = join(work, "big-src");
  const smallSrc = join(work, "small-src");
  mkdirSync(bigSrc);
  mkdirSync(smallSrc);
  console.error(`bench: writing ${fmtMB(BIG)} and ${FILES} small files in ${work}`);
  writeNoiseFile(join(bigSrc, "big.bin"), BIG, 42);
  smallTree(smallSrc, FILES);
  // Second sources with the same content, for the second first-push of (a) and (c).
  const bigSrc2 = join(work, "big-src2");
  const smallSrc2 = join(work, "small-src2");
  const smallSrc3 = join(work, "small-src3");
  cpSync(bigSrc, bigSrc2, { recursive: true, preserveTimestamps: true });
  cpSync(smallSrc, smallSrc2, { recursive: true, preserveTimestamps: true });
  cpSync(smallSrc, smallSrc3, { recursive: true, preserveTimestamps: true });
  const floor = await floors(work, join(bigSrc, "big.bin"));
  await Bun.sleep(2500); // let the source files age past the racy-timestamp window

  const rsyncBig = await RsyncDaemon.start(join(work, "rsync-big"), join(work, "rsync-big/dst"));
  const rsyncSmall = await RsyncDaemon.start(
    join(work, "rsync-small"),
    join(work, "rsync-small/dst"),
  );
  const pair = await RealizePair.start(REPO, join(work, "realize"), {
    big: bigSrc,
    big2: bigSrc2,
    small: smallSrc,
    small2: smallSrc2,
    small3: smallSrc3,
  }).catch(async (e: unknown) => {
    await Promise.all([rsyncBig.stop(), rsyncSmall.stop()]);
    if (!process.argv.includes("--keep")) rmSync(work, { recursive: true, force: true });
    throw e;
  });
  try {
    const run = (name: string, arena: string, rsync: RsyncDaemon, src: string, goal: string) => {
      const r = pair.push(arena);
      const s = rsync.push(src);
      rows.push({ name, realize: r, rsync: s, goal });
      console.error(
        `bench: ${name}: realize ${r.seconds.toFixed(2)} s, rsync ${s.seconds.toFixed(2)} s`,
      );
    };
    /**
     * A push per tool into each destination, alternating who goes first (realize, rsync,
     * rsync, realize, realize, rsync…); each tool keeps its fastest run. The last arena
     * and source are the ones later scenarios continue from.
     */
    const rounds = (
      name: string,
      arenas: string[],
      rsync: RsyncDaemon,
      srcs: string[],
      goal: string,
    ) => {
      const r: ReturnType<RealizePair["push"]>[] = [];
      const s: ReturnType<RsyncDaemon["push"]>[] = [];
      arenas.forEach((arena, i) => {
        const sub = i === arenas.length - 1 ? "" : `round${i}/`;
        const probe = createProbe(work);
        if (i % 2 === 0) {
          r.push(pair.push(arena));
          s.push(rsync.push(srcs[i]!, sub));
        } else {
          s.push(rsync.push(srcs[i]!, sub));
          r.push(pair.push(arena));
        }
        console.error(`bench: ${name}: round ${i + 1}, creating a file took ${probe} µs before it`);
      });
      const fastest = <T extends { seconds: number }>(runs: T[]) =>
        runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      rows.push({ name, realize: fastest(r), rsync: fastest(s), goal });
      const secs = (runs: { seconds: number }[]) =>
        runs.map((x) => x.seconds.toFixed(2)).join(", ");
      console.error(`bench: ${name}: realize ${secs(r)} s; rsync ${secs(s)} s`);
    };
    rounds("(a) big file, first push", ["big2", "big"], rsyncBig, [bigSrc2, bigSrc], "time ≤ 0.7×");
    scatteredEdits(join(bigSrc, "big.bin"), BIG);
    scatteredEdits(join(bigSrc2, "big.bin"), BIG);
    await Bun.sleep(2500);
    rounds(
      "(b) 16 × 64 KiB edits",
      ["big2", "big"],
      rsyncBig,
      [bigSrc2, bigSrc],
      "time ≤ 0.5×, bytes ≤ 1.2×",
    );
    rounds(
      `(c) ${FILES} × 4 KiB, first push`,
      ["small2", "small3", "small"],
      rsyncSmall,
      [smallSrc2, smallSrc3, smallSrc],
      "files/s ≥ 1.5×",
    );
    run("(d) nothing changed", "small", rsyncSmall, smallSrc, "time ≤ 0.3×");
  } finally {
    // Every server is gone before its files are removed (a daemon still shutting down could
    // keep writing there, and a forced removal would leave the rest behind).
    await Promise.all([pair.stop(), rsyncBig.stop(), rsyncSmall.stop()]);
    if (!process.argv.includes("--keep")) rmSync(work, { recursive: true, force: true });
  }
  console.log(
    `big file ${fmtMB(BIG)}, ${FILES} small files; ${new Date().toISOString()}, ${readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? "?"}`,
  );
  console.log(
    `floors for the big file on this machine: a durable copy (copy + fsync) ${floor.durableCopy.toFixed(2)} s; one BLAKE2b Merkle hash on one thread ${floor.hashOne.toFixed(2)} s`,
  );
  console.log("");
  console.log(
    "| scenario | realize s | rsync s | time ratio | rsync + syncfs s | ratio to rsync + syncfs | realize sent / wire | rsync literal / sent | bytes ratio (wire) | goal |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of rows) {
    const flushed = r.rsync.seconds + r.rsync.flushSeconds;
    console.log(
      `| ${r.name} | ${r.realize.seconds.toFixed(2)} | ${r.rsync.seconds.toFixed(2)} | ${(r.realize.seconds / r.rsync.seconds).toFixed(2)} | ${flushed.toFixed(2)} | ${(r.realize.seconds / flushed).toFixed(2)} | ${fmtMB(r.realize.sent)} / ${fmtMB(r.realize.wire)} | ${fmtMB(r.rsync.literal)} / ${fmtMB(r.rsync.bytesSent)} | ${(r.realize.wire / Math.max(1, r.rsync.bytesSent)).toFixed(2)} | ${r.goal} |`,
    );
  }
}

await main();
