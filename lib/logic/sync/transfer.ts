import type { ArenaPath } from "../../model/arena-path.ts";
import { phase } from "../../model/phase-timer.ts";
import type { TransferDirection, TransferSummary } from "../../model/transfer.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import { concurrently } from "./concurrently.ts";
import type { TreeDestination, TreeSource } from "./endpoints.ts";
import { type JobObserver, JobState } from "./job-state.ts";
import { KEPT_MODE_BITS, type PlanItem, planTransfer } from "./plan.ts";
import { report, SMALL_FILE, TransferRun } from "./transfer-run.ts";

export { SMALL_FILE } from "./transfer-run.ts";

/** Content bytes per small-file batch (well under the frame limit). */
const BATCH_BYTES = 1024 * 1024;
const BATCH_FILES = 256;
/** Small-file batches in flight at once. */
const BATCH_LANES = 4;
/** Large files in flight at once. */
const FILE_LANES = 3;

/** What a push or pull is asked to do. */
export interface TransferOptions {
  arena: string;
  peer: string;
  direction: TransferDirection;
  /** Paths to transfer; empty for the whole arena. */
  scope: readonly ArenaPath[];
  dryRun?: boolean;
  /** Delete each source file once its copy is verified at the destination (--move). */
  move?: boolean;
  /** Aborted by --max-duration or a signal: stop cleanly, keep partials, report interrupted. */
  stop?: AbortSignal;
  /** Every byte read from and written to the peer's connection so far. */
  wireBytes?: () => number;
  observer?: JobObserver;
}

/**
 * One-shot transfer of an arena's tree from `source` to `destination` (CLI.md push/pull):
 * afterwards the destination holds every file, directory and symlink of the source's scope,
 * byte for byte with mtime and permission bits; paths only at the destination are left
 * alone. Only what differs is sent: unchanged files are recognised from the listings,
 * changed files by Merkle leaves, and shifted content by an rsync delta. A file that
 * changes at the source while it is sent is listed and sent once more. Per-file failures
 * are listed in the summary; only a lost peer or connection throws. The caller owns both
 * endpoints (and releases the destination afterwards).
 */
export async function runTransfer(
  source: TreeSource,
  destination: TreeDestination,
  options: TransferOptions,
): Promise<TransferSummary> {
  const job = new JobState(
    options.arena,
    options.peer,
    options.direction,
    options.wireBytes ?? (() => 0),
    options.observer,
  );
  const listed = phase("transfer: list both sides");
  const [listing, dst] = await Promise.all([
    source.list(options.scope, "known"),
    destination.list(options.scope),
  ]);
  const there = new Map(dst.entries.map((e) => [e.path.text, e]));
  const src = { ...listing, entries: await withHashesToCompare(source, listing.entries, there) };
  listed();
  const plan = planTransfer(src.entries, there);
  for (const f of src.failures) job.failUnplanned(f.path, f.error);
  for (const item of plan) if (item.entry.kind !== "dir") job.plan(item.entry.size);

  const byAction = (action: PlanItem["action"]) => plan.filter((p) => p.action === action);
  if (options.dryRun) {
    for (const item of plan)
      report(job, item, item.action === "refuse" ? item.reason : undefined, true);
    return job.summary(false, true);
  }

  const run = new TransferRun(source, destination, job, options.stop, there);
  for (const item of byAction("refuse"))
    report(job, item, item.action === "refuse" ? item.reason : "");
  await run.batches(byAction("mkdir"), (e) => destination.makeDirs(e), false);
  await run.batches(byAction("meta"), (e) => destination.setMeta(e), true);
  for (const item of byAction("unchanged")) {
    if (item.entry.kind === "dir") continue;
    report(job, item);
    run.verified.push(item.entry);
  }
  await run.batches(byAction("link"), (e) => destination.makeLinks(e), true);
  const sends = byAction("send").map((p) => p.entry);
  const lanes = await Promise.allSettled([
    concurrently(
      packSmall(sends.filter((e) => e.size <= SMALL_FILE)),
      BATCH_LANES,
      (batch) => run.small(batch),
      run.halted,
    ).finally(phase("transfer: small files")),
    concurrently(
      sends.filter((e) => e.size > SMALL_FILE),
      FILE_LANES,
      (entry) => run.large(entry),
      run.halted,
    ).finally(phase("transfer: large files")),
  ]);
  for (const lane of lanes) if (lane.status === "rejected") throw lane.reason;
  if (!run.stopped()) {
    const failed = new Set(job.failures.map((f) => f.path));
    const dirs = dirsToSettle(plan, there).filter((item) => !failed.has(item.entry.path.text));
    await run.batches(dirs, (e) => destination.setMeta(e), false);
  }
  if (options.move && !run.stopped()) await run.moveAway(src.entries);
  return job.summary(run.stopped(), false);
}

/** Files the source hashes at once when asked for the hashes a plan needs. */
const HASH_BATCH = 256;

/**
 * The source's entries with the hash of each file it listed without one where the
 * destination has a file of the same size (the only case where content decides between
 * sending and leaving it). A file the source could not hash, or that changed since it was
 * listed, stays without: it is then sent, and the send finds out what it holds.
 */
async function withHashesToCompare(
  source: TreeSource,
  entries: TreeEntry[],
  destination: ReadonlyMap<string, TreeEntry>,
): Promise<TreeEntry[]> {
  const wanted = entries.filter((e) => {
    const there = destination.get(e.path.text);
    return e.kind === "file" && !e.hash && there?.kind === "file" && there.size === e.size;
  });
  if (wanted.length === 0) return entries;
  const hashes = new Map<string, TreeEntry["hash"]>();
  for (let i = 0; i < wanted.length; i += HASH_BATCH) {
    const part = wanted.slice(i, i + HASH_BATCH);
    const got = new Map((await source.hashes(part.map((e) => e.path))).map((h) => [h.path, h]));
    for (const e of part) {
      const h = got.get(e.path.text);
      if (h && "hash" in h && h.size === e.size && h.mtimeNs === e.mtimeNs) {
        hashes.set(e.path.text, h.hash);
      }
    }
  }
  return entries.map((e) => {
    const hash = hashes.get(e.path.text);
    return hash ? { ...e, hash } : e;
  });
}

/**
 * The directories whose mtime and permission bits must be set last, deepest first (writing
 * a child moves its parent's mtime): those made now, those with a child written, and those
 * whose metadata differs at the destination.
 */
function dirsToSettle(
  plan: readonly PlanItem[],
  destination: ReadonlyMap<string, TreeEntry>,
): PlanItem[] {
  const touched = new Set<string>();
  for (const item of plan) {
    if (item.action === "unchanged" || item.action === "refuse") continue;
    for (let p = item.entry.path.parent(); p; p = p.parent()) touched.add(p.text);
  }
  return plan
    .filter((item) => {
      if (item.entry.kind !== "dir" || item.action === "refuse") return false;
      const there = destination.get(item.entry.path.text);
      return (
        item.action === "mkdir" ||
        touched.has(item.entry.path.text) ||
        there?.mtimeNs !== item.entry.mtimeNs ||
        ((there?.mode ?? 0) & KEPT_MODE_BITS) !== (item.entry.mode & KEPT_MODE_BITS)
      );
    })
    .sort((a, b) => b.entry.path.components.length - a.entry.path.components.length);
}

/** Groups small files into batches of bounded bytes and count. */
function packSmall(entries: readonly TreeEntry[]): TreeEntry[][] {
  const batches: TreeEntry[][] = [];
  let current: TreeEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (current.length > 0 && (bytes + e.size > BATCH_BYTES || current.length >= BATCH_FILES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
