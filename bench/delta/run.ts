/**
 * Delta benchmark: throughput of signature, delta search and patch over in-memory content,
 * and the bytes a delta costs against rsync's on the same pair of files.
 *
 *   bun bench/delta/run.ts [--size 256MiB] [--edits 16] [--runs 3] [--no-rsync]
 *
 * The base is random bytes; "edited" replaces --edits scattered 64 KiB regions, "shifted"
 * inserts 100 bytes near the start, "new" is unrelated random content (the rolling search
 * over data that never matches). Each time is the median of --runs rounds. rsync (when
 * installed) copies the edited file over the base in /tmp with --no-whole-file, so its time
 * includes its disk I/O and two processes while ours is compute only: a reference, not the
 * end-to-end goal. Prints markdown tables; MB/s is 10^6 bytes per second of new content.
 */
import { spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encode } from "cbor-x";
import { signatureToWire } from "../../lib/delta/check-signature.ts";
import { DeltaEncoder } from "../../lib/delta/delta.ts";
import type { DeltaOp } from "../../lib/delta/delta-op.ts";
import { applyDelta } from "../../lib/delta/patch.ts";
import { chooseBlockSize, type Signature, SignatureBuilder } from "../../lib/delta/signature.ts";

const CHUNK = 1 << 20;
const EDIT = 64 * 1024;

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/i.exec(text.trim());
  if (!m) throw new Error(`--size takes e.g. 256MiB, 1GiB or 1048576, not ${text}`);
  const unit = { b: 1, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 }[(m[2] ?? "B").toLowerCase()]!;
  return Math.round(Number(m[1]) * unit);
}

function* chunks(data: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < data.length; at += CHUNK) yield data.subarray(at, at + CHUNK);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Timing<T> {
  /** Median wall time, ms. */
  ms: number;
  /** Median CPU time (user + system) of this process, ms: steady when other work shares the cores. */
  cpuMs: number;
  result: T;
}

async function timed<T>(runs: number, work: () => T | Promise<T>): Promise<Timing<T>> {
  const wall: number[] = [];
  const cpu: number[] = [];
  let result = await work();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const before = process.cpuUsage();
    result = await work();
    const used = process.cpuUsage(before);
    wall.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
  }
  return { ms: median(wall), cpuMs: median(cpu), result };
}

function signature(data: Uint8Array, blockSize: number, strongLength = 16): Signature {
  const builder = new SignatureBuilder(blockSize, { strongLength });
  for (const c of chunks(data)) builder.update(c);
  return builder.finish();
}

/**
 * Encodes `data`; keeps the ops only when asked, since a sender streams them out and drops
 * them (holding 64 MiB of literals would time the garbage collector, not the encoder).
 */
function delta(
  sig: Signature,
  data: Uint8Array,
  keep = false,
): { ops: DeltaOp[]; count: number; literal: number } {
  const encoder = new DeltaEncoder(sig);
  const ops: DeltaOp[] = [];
  let count = 0;
  const take = (decided: DeltaOp[]) => {
    count += decided.length;
    if (keep) ops.push(...decided);
  };
  for (const c of chunks(data)) take(encoder.update(c));
  take(encoder.finish());
  return { ops, count, literal: encoder.literalBytes };
}

const wireBytes = (ops: DeltaOp[]): number => ops.reduce((n, op) => n + encode(op).length, 0);
const mbps = (bytes: number, ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(0);
const row = (name: string, bytes: number, t: Timing<unknown>, extra = "| | |"): void =>
  console.log(`| ${name} | ${mbps(bytes, t.cpuMs)} | ${mbps(bytes, t.ms)} ${extra}`);

function editScattered(base: Uint8Array, edits: number): Uint8Array {
  const out = base.slice();
  const stride = Math.floor(base.length / edits);
  for (let i = 0; i < edits; i++) {
    const at = i * stride + ((i * 7919 * 4099) % Math.max(1, stride - EDIT));
    randomFillSync(out.subarray(at, at + EDIT));
  }
  return out;
}

function rsyncBytes(base: Uint8Array, edited: Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), "realize-bench-delta-"));
  try {
    writeFileSync(join(dir, "dst"), base);
    writeFileSync(join(dir, "src"), edited);
    spawnSync("sync");
    const start = performance.now();
    const run = spawnSync(
      "bash",
      [
        "-c",
        'TIMEFORMAT="cpu %U %S"; time rsync --no-whole-file --stats -I "$1" "$2"',
        "-",
        join(dir, "src"),
        join(dir, "dst"),
      ],
      { encoding: "utf8" },
    );
    const ms = performance.now() - start;
    if (run.status !== 0) throw new Error(`rsync failed: ${run.stderr}`);
    const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(run.stderr);
    const cpuMs = cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : Number.NaN;
    const num = (label: string) =>
      Number(
        (new RegExp(`${label}: ([\\d,]+)`).exec(run.stdout)?.[1] ?? "NaN").replaceAll(",", ""),
      );
    return {
      ms,
      cpuMs,
      sent: num("Total bytes sent"),
      received: num("Total bytes received"),
      literal: num("Literal data"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "256MiB" },
      edits: { type: "string", default: "16" },
      runs: { type: "string", default: "3" },
      "no-rsync": { type: "boolean", default: false },
    },
  });
  const size = parseSize(values.size);
  const edits = Number(values.edits);
  const runs = Number(values.runs);
  const blockSize = chooseBlockSize(size);
  const base = randomFillSync(new Uint8Array(size));
  const edited = editScattered(base, edits);
  const shifted = new Uint8Array(size + 100);
  shifted.set(base.subarray(0, 4096));
  randomFillSync(shifted.subarray(4096, 4196));
  shifted.set(base.subarray(4096), 4196);
  const unrelated = randomFillSync(new Uint8Array(Math.min(size, 64 << 20)));

  console.log(
    `delta benchmark: ${values.size}, block ${blockSize} B, ${edits} × 64 KiB edits, median of ${runs}\n`,
  );
  console.log("| step | MB/s (CPU time) | MB/s (wall) | literal bytes | ops |");
  console.log("|---|---:|---:|---:|---:|");
  const sig = await timed(runs, () => signature(base, blockSize));
  row("signature", size, sig);
  let editedDelta: Timing<unknown> | undefined;
  for (const [name, content] of [
    ["delta, identical", base],
    ["delta, edited", edited],
    ["delta, shifted", shifted],
    ["delta, unrelated", unrelated],
  ] as const) {
    const d = await timed(runs, () => delta(sig.result, content));
    if (content === edited) editedDelta = d;
    row(name, content.length, d, `| ${d.result.literal} | ${d.result.count} |`);
  }
  const { ops } = delta(sig.result, edited, true);
  const out = new Uint8Array(size);
  const patched = await timed(runs, () =>
    applyDelta(
      sig.result,
      ops,
      (offset, length) => base.subarray(offset, offset + length),
      (offset, data) => void out.set(data, offset),
    ),
  );
  if (!Buffer.from(out).equals(Buffer.from(edited))) {
    throw new Error("patch did not rebuild the edited content");
  }
  row("patch, edited (in memory)", size, patched);

  console.log("\n| bytes on the wire, edited | signature | delta | total |");
  console.log("|---|---:|---:|---:|");
  const rows: [string, number][] = [];
  for (const strongLength of [16, 8]) {
    const s = signature(base, blockSize, strongLength);
    const sigBytes = encode(signatureToWire(s)).length;
    const deltaBytes = wireBytes(delta(s, edited, true).ops);
    rows.push([`realize, strong ${strongLength} B`, sigBytes + deltaBytes]);
    console.log(
      `| realize, strong ${strongLength} B | ${sigBytes} | ${deltaBytes} | ${sigBytes + deltaBytes} |`,
    );
  }
  if (values["no-rsync"]) return;
  const r = rsyncBytes(base, edited);
  const total = r.sent + r.received;
  console.log(
    `| rsync ${r.sent} sent + ${r.received} received (literal ${r.literal}) | | | ${total} |`,
  );
  console.log("\n| ratio to rsync | bytes |");
  console.log("|---|---:|");
  for (const [name, bytes] of rows) console.log(`| ${name} | ${(bytes / total).toFixed(2)} |`);
  const ours = sig.cpuMs + (editedDelta?.cpuMs ?? 0) + patched.cpuMs;
  console.log(
    `\nrsync: ${r.ms.toFixed(0)} ms wall, ${r.cpuMs.toFixed(0)} ms CPU in its processes (with its disk I/O); ` +
      `realize signature + delta + patch in memory: ${ours.toFixed(0)} ms CPU`,
  );
}

await main();
