/**
 * Hashing benchmark: our Merkle hashFile on one and on both cores against the raw
 * @napi-rs/blake-hash call and coreutils' b2sum, over one file kept in the page cache.
 *
 *   bun bench/hash/run.ts [--size 1GiB] [--runs 5]
 *
 * The file is .bench/hash-SIZE.bin (random bytes, made once and reused) and is read once
 * before timing, so every run reads it from the page cache. Contenders run in rotating
 * order; a run during which other processes used the CPU is not counted (quiet-runs.ts).
 * Prints a markdown table of the median MB/s (10^6 bytes per second) of --runs quiet runs
 * each, and the ratios the goals are stated in; every run's MB/s goes to stderr.
 */
import { randomFillSync } from "node:crypto";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Blake2BHasher, Blake2BParam } from "@napi-rs/blake-hash";
import { hashFile } from "../../lib/hash/index.ts";
import { medianSeconds, quietRuns, type Timed } from "./quiet-runs.ts";

const READ_BYTES = 2 * 1024 * 1024;

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/i.exec(text.trim());
  if (!m) throw new Error(`--size takes e.g. 1GiB, 256MiB or 1048576, not ${text}`);
  const unit = { b: 1, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 }[(m[2] ?? "B").toLowerCase()]!;
  return Math.round(Number(m[1]) * unit);
}

async function ensureFile(path: string, size: number): Promise<void> {
  if (existsSync(path) && statSync(path).size === size) return;
  mkdirSync(resolve(path, ".."), { recursive: true });
  const handle = await open(path, "w");
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  for (let at = 0; at < size; at += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, size - at));
    randomFillSync(part);
    await handle.write(part, 0, part.length, at);
  }
  await handle.close();
}

/** Reads the file with two buffers in flight, as hashFile does, handing each chunk to `take`. */
async function readChunks(path: string, take: (chunk: Buffer) => void): Promise<void> {
  const handle = await open(path, "r");
  let reading = Buffer.allocUnsafe(READ_BYTES);
  let spare = Buffer.allocUnsafe(READ_BYTES);
  let pos = 0;
  let next = handle.read(reading, 0, READ_BYTES, 0);
  for (;;) {
    const { bytesRead } = await next;
    if (bytesRead === 0) break;
    const full = reading;
    reading = spare;
    spare = full;
    pos += bytesRead;
    next = handle.read(reading, 0, READ_BYTES, pos);
    take(full.subarray(0, bytesRead));
  }
  await handle.close();
}

async function rawNapi(path: string): Promise<string> {
  const params = new Blake2BParam();
  params.hashLength(32);
  const hasher = Blake2BHasher.withParams(params);
  await readChunks(path, (chunk) => hasher.update(chunk));
  return hasher.digestBuffer().toString("hex");
}

async function rawBun(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("blake2b256");
  await readChunks(path, (chunk) => hasher.update(chunk));
  return hasher.digest("hex");
}

async function b2sum(path: string): Promise<{ out: string; childCpu: number }> {
  const proc = Bun.spawn(["b2sum", "-l", "256", path], { stdout: "pipe" });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error("b2sum failed");
  const cpu = proc.resourceUsage()?.cpuTime.total ?? 0n;
  return { out: out.split(" ")[0]!, childCpu: Number(cpu) / 1e6 };
}

const { values } = parseArgs({
  options: { size: { type: "string", default: "1GiB" }, runs: { type: "string", default: "5" } },
});
const size = parseSize(values.size);
const runs = Math.max(1, Number(values.runs));
const path = join(resolve(import.meta.dir, "../.."), ".bench", `hash-${size}.bin`);
await ensureFile(path, size);
await readChunks(path, () => {});

const digest = (out: string) => ({ out });
const [raw, one, two, b2, bun] = (await quietRuns(
  [
    {
      name: "raw @napi-rs/blake-hash BLAKE2b-256, one hasher, 2 MiB reads",
      run: async () => digest(await rawNapi(path)),
    },
    {
      name: "realize hashFile, Merkle, 1 core",
      run: async () => digest((await hashFile(path, { threads: 1 })).hash.toHex()),
    },
    {
      name: "realize hashFile, Merkle, 2 cores",
      run: async () => digest((await hashFile(path, { threads: 2 })).hash.toHex()),
    },
    { name: "b2sum -l 256 (coreutils)", run: () => b2sum(path) },
    {
      name: "for reference: Bun.CryptoHasher blake2b256, one hasher, 2 MiB reads",
      run: async () => digest(await rawBun(path)),
    },
  ],
  runs,
  4 * runs,
)) as [Timed, Timed, Timed, Timed, Timed];

if (raw.out !== b2.out || raw.out !== bun.out)
  throw new Error("raw BLAKE2b-256 disagrees with b2sum");
if (one.out !== two.out) throw new Error("hashFile on one and two cores disagree");

const mbps = (t: Timed) => (size / medianSeconds(t) / 1e6).toFixed(0);
const ratio = (a: Timed, b: Timed) => (medianSeconds(a) / medianSeconds(b)).toFixed(2);
const row = (t: Timed) =>
  `| ${t.name} | ${mbps(t)} | ${t.kept.length > 0 ? t.kept.length : `0 of ${t.all.length}, all used`} |`;
const table = [
  `Hashing a ${values.size} file in page cache; median MB/s (10^6 B/s) of the quiet runs, ${new Date().toISOString().slice(0, 10)}.`,
  "",
  "| what | MB/s | quiet runs |",
  "|---|---:|---:|",
  ...[raw, one, two, b2, bun].map(row),
  "",
  "| ratio | value | goal |",
  "|---|---:|---:|",
  `| merkle-1core / raw | ${ratio(raw, one)} | ≥ 0.90 |`,
  `| merkle-2cores / merkle-1core | ${ratio(one, two)} | ≥ 1.60 |`,
  `| merkle-1core / b2sum | ${ratio(b2, one)} | |`,
  `| merkle-2cores / b2sum | ${ratio(b2, two)} | |`,
];
console.log(table.join("\n"));
for (const t of [raw, one, two, b2, bun]) {
  const all = t.all.map((s) => (size / s / 1e6).toFixed(0)).join(" ");
  console.error(`${t.name}: MB/s of every run ${all}`);
}
