/**
 * What leaf size costs: hashes one in-memory buffer as raw BLAKE2b-256 and as realize's
 * Merkle tree with leaves of 16 KiB to 1 MiB, and prints the Merkle/raw speed ratio and
 * the proof size for each. The basis of the LEAF_SIZE choice in lib/hash/merkle.ts.
 *
 *   bun bench/hash/leaf-size.ts [--size 256MiB] [--runs 7]
 *
 * No file and no I/O: only hashing cost. Best of --runs runs, interleaved, so that other
 * load on a shared machine disturbs the result as little as possible.
 */
import { randomFillSync } from "node:crypto";
import { parseArgs } from "node:util";
import { Blake2b } from "../../lib/hash/blake2b.ts";
import { hashLeaf, sealRoot, treeTop } from "../../lib/hash/merkle.ts";

const { values } = parseArgs({
  options: { size: { type: "string", default: "256" }, runs: { type: "string", default: "7" } },
});
const size = Number.parseInt(values.size, 10) * 2 ** 20;
const runs = Math.max(1, Number(values.runs));
const data = new Uint8Array(size);
for (let at = 0; at < size; at += 2 ** 16) randomFillSync(data.subarray(at, at + 2 ** 16));
const READ = 2 * 2 ** 20;

function raw(): void {
  const hasher = new Blake2b();
  for (let at = 0; at < size; at += READ) hasher.update(data.subarray(at, at + READ));
  hasher.digest();
}

function merkle(leafSize: number): void {
  const leaves: Uint8Array[] = [];
  for (let at = 0; at < size; at += leafSize)
    leaves.push(hashLeaf(data.subarray(at, at + leafSize)));
  sealRoot(treeTop(leaves), size);
}

const kib = [16, 32, 64, 128, 256, 1024];
const contenders: [string, () => void][] = [
  ["raw", raw],
  ...kib.map((k): [string, () => void] => [`${k} KiB`, () => merkle(k * 1024)]),
];
const best = new Map<string, number>();
for (let round = 0; round < runs; round++) {
  for (let k = 0; k < contenders.length; k++) {
    const [name, run] = contenders[(round + k) % contenders.length]!;
    const start = performance.now();
    run();
    const seconds = (performance.now() - start) / 1000;
    best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, seconds));
  }
}

const rawSeconds = best.get("raw")!;
const lines = [
  `In-memory hashing of ${values.size} MiB, best of ${runs} runs; raw BLAKE2b-256: ${(size / rawSeconds / 1e6).toFixed(0)} MB/s.`,
  "",
  "| leaf | MB/s | merkle / raw | µs overhead per leaf | proof of one leaf in a 1 GiB file |",
  "|---:|---:|---:|---:|---:|",
];
for (const k of kib) {
  const seconds = best.get(`${k} KiB`)!;
  const leaves = size / (k * 1024);
  const overhead = ((seconds - rawSeconds) / leaves) * 1e6;
  const levels = Math.ceil(Math.log2(2 ** 30 / (k * 1024)));
  lines.push(
    `| ${k} KiB | ${(size / seconds / 1e6).toFixed(0)} | ${(rawSeconds / seconds).toFixed(3)} | ${overhead.toFixed(1)} | ≤ ${levels * 32} B |`,
  );
}
console.log(lines.join("\n"));
