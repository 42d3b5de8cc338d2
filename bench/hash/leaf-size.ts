/**
 * What leaf size costs: hashes one in-memory buffer as raw BLAKE2b-256 and as realize's
 * Merkle tree with leaves of 16 KiB to 1 MiB, and prints the Merkle/raw speed ratio and
 * the proof size for each. The basis of the LEAF_SIZE choice in lib/hash/merkle.ts.
 *
 *   bun bench/hash/leaf-size.ts [--size 256MiB] [--runs 7]
 *
 * No file and no I/O: only hashing cost. The median of --runs runs of each, interleaved,
 * counting only runs that other processes left alone (quiet-runs.ts).
 */
import { randomFillSync } from "node:crypto";
import { parseArgs } from "node:util";
import { Blake2b } from "../../lib/hash/blake2b.ts";
import { hashLeaf, sealRoot, treeTop } from "../../lib/hash/merkle.ts";
import { type Contender, medianSeconds, quietRuns } from "./quiet-runs.ts";

const { values } = parseArgs({
  options: { size: { type: "string", default: "256" }, runs: { type: "string", default: "7" } },
});
const size = Number.parseInt(values.size, 10) * 2 ** 20;
const runs = Math.max(1, Number(values.runs));
const data = new Uint8Array(size);
for (let at = 0; at < size; at += 2 ** 16) randomFillSync(data.subarray(at, at + 2 ** 16));
const READ = 2 * 2 ** 20;

function raw(): number {
  const hasher = new Blake2b();
  for (let at = 0; at < size; at += READ) hasher.update(data.subarray(at, at + READ));
  return hasher.digest()[0]!;
}

function merkle(leafSize: number): void {
  const leaves: Uint8Array[] = [];
  for (let at = 0; at < size; at += leafSize)
    leaves.push(hashLeaf(data.subarray(at, at + leafSize)));
  sealRoot(treeTop(leaves), size);
}

const kib = [16, 32, 64, 128, 256, 1024];
const contenders: Contender[] = [
  { name: "raw", run: async () => ({ out: String(raw()) }) },
  ...kib.map((k) => ({ name: `${k} KiB`, run: async () => ({ out: String(merkle(k * 1024)) }) })),
];
const timed = await quietRuns(contenders, runs, 4 * runs);
const seconds = new Map(timed.map((t) => [t.name, medianSeconds(t)]));

const rawSeconds = seconds.get("raw")!;
const lines = [
  `In-memory hashing of ${values.size} MiB, median of ${runs} quiet runs; raw BLAKE2b-256: ${(size / rawSeconds / 1e6).toFixed(0)} MB/s.`,
  "",
  "| leaf | MB/s | merkle / raw | µs overhead per leaf | proof of one leaf in a 1 GiB file |",
  "|---:|---:|---:|---:|---:|",
];
for (const k of kib) {
  const merkleSeconds = seconds.get(`${k} KiB`)!;
  const leaves = size / (k * 1024);
  const overhead = ((merkleSeconds - rawSeconds) / leaves) * 1e6;
  const levels = Math.ceil(Math.log2(2 ** 30 / (k * 1024)));
  lines.push(
    `| ${k} KiB | ${(size / merkleSeconds / 1e6).toFixed(0)} | ${(rawSeconds / merkleSeconds).toFixed(3)} | ${overhead.toFixed(1)} | ≤ ${levels * 32} B |`,
  );
}
console.log(lines.join("\n"));
