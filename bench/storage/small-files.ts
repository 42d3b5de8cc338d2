/**
 * Receiving many small files durably, the way the daemon does it, against plain writes.
 *
 *   bun bench/storage/small-files.ts [--files 20000] [--dirs 200] [--size 4096]
 *     [--batch 256] [--batch-bytes 1048576] [--lanes 4] [--rounds 3] [--lib NAME=DIR]...
 *     [--shape FILESxLANES]... [--keep]
 *
 * Each round writes FILES files of SIZE bytes (spread over DIRS directories made
 * beforehand, in path order as a sync sends them) into a fresh directory, three ways:
 * - "plain": open, write, close, rename each file (no flush, no check): the floor;
 * - "plain + syncfs": the same and one syncfs at the end: what "durable" costs at least;
 * - "DurableBatch": batches of at most BATCH files and BATCH_BYTES bytes, LANES batches
 *   committed at once (a new DurableBatch per batch, as the daemon's writeSmall does).
 * With `--lib NAME=DIR` (repeatable) the batch runs once per DIR, taking DurableBatch from
 * DIR/storage (e.g. a copy of an older lib/) instead of this checkout: an A/B in one run.
 * A copy outside the checkout needs node_modules reachable from it (e.g. a symlink to
 * this checkout's beside it): without, a worker thread it starts hung at 100% CPU.
 * With `--shape FILESxLANES` (repeatable, e.g. 256x4) each lib runs once per batch shape
 * (BATCH_BYTES still caps a batch: raise it to let big batches fill up).
 *
 * Rounds alternate the order of the ways. The filesystem is flushed before each run
 * (outside the timing), and a create probe (µs per create of a 4 KiB file in a new
 * directory) is printed before each. Nothing is deleted until the end: on this VM's ext4,
 * creates stay slow for minutes after many deletes, which would make the figures depend on
 * the order. The tree (under BENCH_DIR or the system temp dir) is removed at the end
 * unless --keep is given (removing it slows the creates of the next run for a minute).
 */
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { noise } from "../../fixtures/noise.ts";
import { libc } from "../../lib/storage/libc.ts";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "20000" },
    dirs: { type: "string", default: "200" },
    size: { type: "string", default: "4096" },
    batch: { type: "string", default: "256" },
    "batch-bytes": { type: "string", default: String(1024 * 1024) },
    lanes: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    lib: { type: "string", multiple: true },
    shape: { type: "string", multiple: true },
    keep: { type: "boolean", default: false },
  },
});
const FILES = Number(values.files);
const DIRS = Number(values.dirs);
const SIZE = Number(values.size);
const BATCH_BYTES = Number(values["batch-bytes"]);
const shapes = (values.shape ?? [`${values.batch}x${values.lanes}`]).map((text) => {
  const [files, lanes] = text.split("x").map(Number);
  return { files: files!, lanes: lanes! };
});
const ROUNDS = Number(values.rounds);
const here = resolve(import.meta.dir, "../../lib");
const libs = (values.lib ?? [`DurableBatch=${here}`]).map((spec) => {
  const [name, dir] = spec.includes("=") ? spec.split("=", 2) : [spec, spec];
  return { name: name!, dir: resolve(dir!) };
});

interface Way {
  name: string;
  run(dir: string): Promise<void>;
}

const c = await libc();
const base = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), "realize-bench-small-"));
const perDir = Math.ceil(FILES / DIRS);
const texts = Array.from(
  { length: FILES },
  (_, i) => `d${String(Math.floor(i / perDir)).padStart(3, "0")}/f${String(i).padStart(6, "0")}`,
);
const contents = texts.map((_, i) => noise(SIZE, i + 1));

function flushAll(): void {
  const fd = openSync(base, constants.O_RDONLY);
  if (c === null || c.syncfs(fd) !== 0) throw new Error("syncfs failed");
  closeSync(fd);
}

let probes = 0;
/** µs per create of a 4 KiB file, over 200 files in a new directory that is kept. */
function createProbe(): number {
  const dir = join(base, "probe", String(probes++));
  mkdirSync(dir, { recursive: true });
  const data = new Uint8Array(4096);
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) writeFileSync(join(dir, `p${i}`), data);
  return Math.round(((performance.now() - t0) * 1000) / 200);
}

function plainWrites(dir: string): void {
  for (const [i, text] of texts.entries()) {
    const target = join(dir, text);
    const temp = `${target}.tmp`;
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
    writeSync(fd, contents[i]!);
    closeSync(fd);
    renameSync(temp, target);
  }
}

async function batchWays(name: string, lib: string): Promise<Way[]> {
  const { DurableBatch } = await import(join(lib, "storage/durable-batch.ts"));
  const { RealRoot } = await import(join(lib, "storage/real-root.ts"));
  const { ArenaPath } = await import(join(lib, "model/arena-path.ts"));
  const { MerkleHasher } = await import(join(lib, "hash/index.ts"));
  const files = texts.map((text, i) => ({
    target: ArenaPath.parse(text),
    data: contents[i]!,
    expected: new MerkleHasher().update(contents[i]!).digest(),
    meta: { mtimeNs: 1_700_000_000_000_000_001n, mode: 0o644 },
  }));
  return shapes.map(({ files: most, lanes }) => {
    const batches: (typeof files)[] = [];
    let current: typeof files = [];
    let bytes = 0;
    for (const f of files) {
      if (current.length > 0 && (bytes + SIZE > BATCH_BYTES || current.length >= most)) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(f);
      bytes += SIZE;
    }
    if (current.length > 0) batches.push(current);
    return {
      name: `${name} (${batches[0]!.length} files × ${lanes} lanes)`,
      async run(dir: string) {
        const root = new RealRoot(dir);
        let next = 0;
        const lane = async () => {
          while (next < batches.length) {
            const batch = new DurableBatch(root);
            for (const f of batches[next++]!) batch.add(f);
            const failed = (await batch.commit()).filter((r: { error?: unknown }) => r.error);
            if (failed.length > 0) throw failed[0].error;
          }
        };
        await Promise.all(Array.from({ length: lanes }, lane));
      },
    };
  });
}

const ways: Way[] = [
  { name: "plain (open, write, close, rename)", run: async (dir) => plainWrites(dir) },
  {
    name: "plain + one syncfs",
    run: async (dir) => {
      plainWrites(dir);
      flushAll();
    },
  },
];
for (const { name, dir } of libs) ways.push(...(await batchWays(name, dir)));

const times = new Map<string, number[]>(ways.map((w) => [w.name, []]));
const cpus = new Map<string, number[]>(ways.map((w) => [w.name, []]));
try {
  console.error(`bench: ${FILES} files of ${SIZE} B in ${DIRS} dirs under ${base}`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ways : [...ways].reverse();
    for (const way of order) {
      const dir = join(base, `r${round}-${ways.indexOf(way)}`);
      for (let d = 0; d * perDir < FILES; d++) {
        mkdirSync(join(dir, `d${String(d).padStart(3, "0")}`), { recursive: true });
      }
      flushAll();
      const probe = createProbe();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await way.run(dir);
      const s = (performance.now() - t0) / 1000;
      const { user, system } = process.cpuUsage(cpu0);
      times.get(way.name)!.push(s);
      cpus.get(way.name)!.push((user + system) / 1e6);
      console.error(
        `bench: round ${round + 1}, ${way.name}: ${s.toFixed(3)} s, cpu ${((user + system) / 1e6).toFixed(3)} s (create probe ${probe} µs)`,
      );
      flushAll();
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rate = (s: number) => Math.round(FILES / s);
  console.log(
    `| ${FILES} × ${SIZE} B in ${DIRS} dirs | files/s (median) | range | s (median) | cpu s (median) |`,
  );
  console.log("|---|---:|---:|---:|---:|");
  for (const way of ways) {
    const xs = times.get(way.name)!;
    const range = `${rate(Math.max(...xs))}–${rate(Math.min(...xs))}`;
    const cpu = median(cpus.get(way.name)!).toFixed(3);
    console.log(
      `| ${way.name} | ${rate(median(xs))} | ${range} | ${median(xs).toFixed(3)} | ${cpu} |`,
    );
  }
  const plain = median(times.get(ways[0]!.name)!);
  const synced = median(times.get(ways[1]!.name)!);
  for (const way of ways.slice(2)) {
    const s = median(times.get(way.name)!);
    console.log(
      `${way.name}: ${(s / plain).toFixed(2)}× the time of plain, ${(s / synced).toFixed(2)}× plain + syncfs`,
    );
  }
} finally {
  if (values.keep) console.error(`bench: kept ${base}`);
  else await rm(base, { recursive: true, force: true });
}
