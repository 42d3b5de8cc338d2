import type { ArenaPath } from "../../model/arena-path.ts";
import { isRealizeError, RealizeError } from "../../model/errors.ts";
import type { TransferDirection, TransferSummary } from "../../model/transfer.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import { concurrently } from "./concurrently.ts";
import type { ItemResult, TreeDestination, TreeSource } from "./endpoints.ts";
import { type JobObserver, JobState } from "./job-state.ts";
import { type PlanItem, planTransfer } from "./plan.ts";

/** Files up to this size travel whole, many per round trip, committed in durable batches. */
export const SMALL_FILE = 256 * 1024;
/** Content bytes per small-file batch (well under the frame limit). */
const BATCH_BYTES = 1024 * 1024;
const BATCH_FILES = 256;
/** Small-file batches in flight at once. */
const BATCH_LANES = 4;
/** Large files in flight at once. */
const FILE_LANES = 3;
/** Writes of one large file in flight at once. */
const WRITE_WINDOW = 8;
/** Below this size a changed file is resent by leaves, never by rsync delta. */
const DELTA_MIN = 1024 * 1024;
/** Directory and symlink operations per call. */
const META_BATCH = 1000;

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

/** Errors that mean the peer or the connection is gone: they stop the whole job. */
const FATAL = new Set([
  "unreachable",
  "protocol",
  "version_mismatch",
  "tls",
  "not_shared",
  "cancelled",
]);

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * One-shot transfer of an arena's tree from `source` to `destination` (CLI.md push/pull):
 * afterwards the destination holds every file, directory and symlink of the source's scope,
 * byte for byte with mtime and permission bits; paths only at the destination are left
 * alone. Only what differs is sent: unchanged files are recognised from the listings,
 * changed files by Merkle leaves, and shifted content by an rsync delta. Per-file failures
 * are listed in the summary; only a lost peer or connection throws.
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
  const stopped = () => options.stop?.aborted === true;
  const [src, dst] = await Promise.all([
    source.list(options.scope),
    destination.list(options.scope),
  ]);
  const plan = planTransfer(src.entries, new Map(dst.entries.map((e) => [e.path.text, e])));
  for (const f of src.failures) job.failUnplanned(f.path, f.error);
  for (const item of plan) if (item.entry.kind !== "dir") job.plan(item.entry.size);

  const byAction = (action: PlanItem["action"]) => plan.filter((p) => p.action === action);
  if (options.dryRun) {
    for (const item of plan)
      report(job, item, item.action === "refuse" ? item.reason : undefined, true);
    return job.summary(false, true);
  }

  const run = new TransferRun(source, destination, job, stopped);
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
  await Promise.all([
    concurrently(
      packSmall(sends.filter((e) => e.size <= SMALL_FILE)),
      BATCH_LANES,
      (batch) => run.small(batch),
      stopped,
    ),
    concurrently(
      sends.filter((e) => e.size > SMALL_FILE),
      FILE_LANES,
      (entry) => run.large(entry),
      stopped,
    ),
  ]);
  if (options.move && !stopped()) await run.moveAway(src.entries);
  return job.summary(stopped(), false);
}

/** Counts a plan item that needs no transfer (or a dry run's would-be transfer). */
function report(job: JobState, item: PlanItem, error?: string, dryRun = false): void {
  const { entry } = item;
  if (entry.kind === "dir" && !error) return;
  const outcome = error
    ? "failed"
    : item.action === "unchanged" || item.action === "meta" || (dryRun && item.action === "mkdir")
      ? "unchanged"
      : "sent";
  job.finish(
    { path: entry.path.text, size: entry.size, outcome, bytesSent: 0, error },
    entry.kind === "dir" ? 0 : entry.size,
  );
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

/** The effects of one transfer, with the job's accounting around each. */
class TransferRun {
  /** Files and symlinks now verified at the destination: what --move may delete. */
  readonly verified: TreeEntry[] = [];

  constructor(
    private readonly source: TreeSource,
    private readonly destination: TreeDestination,
    private readonly job: JobState,
    private readonly stopped: () => boolean,
  ) {}

  /** Runs a batch operation over plan items and reports each result. */
  async batches(
    items: PlanItem[],
    apply: (entries: TreeEntry[]) => Promise<ItemResult[]>,
    countAsFile: boolean,
  ): Promise<void> {
    for (const group of chunk(items, META_BATCH)) {
      if (this.stopped()) return;
      const results = await apply(group.map((i) => i.entry));
      const errors = new Map(results.filter((r) => r.error).map((r) => [r.path, r.error]));
      for (const item of group) {
        const error = errors.get(item.entry.path.text);
        if (countAsFile || error) report(this.job, item, error);
        if (!error && item.entry.kind !== "dir") this.verified.push(item.entry);
      }
    }
  }

  /** Sends a batch of small files whole; a file that changed while read is retried alone. */
  async small(batch: TreeEntry[]): Promise<void> {
    for (const e of batch) this.job.start(e.path.text, e.size);
    const reads = await this.source.readSmall(batch.map((e) => e.path));
    const data = new Map(reads.map((r) => [r.path, r]));
    const files = [];
    for (const entry of batch) {
      const read = data.get(entry.path.text);
      if (!read || "error" in read) this.fail(entry, read?.error ?? "the source did not send it");
      else files.push({ entry, data: read.data });
    }
    const results = await this.destination.writeSmall(files);
    const errors = new Map(results.filter((r) => r.error).map((r) => [r.path, r.error ?? ""]));
    for (const { entry } of files) {
      const error = errors.get(entry.path.text);
      if (error) this.fail(entry, error);
      else this.sent(entry, entry.size);
    }
  }

  /** Sends one large file: resumes a partial, reuses the base by leaves or by delta. */
  async large(entry: TreeEntry, retried = false): Promise<void> {
    const path = entry.path.text;
    this.job.start(path, entry.size);
    let sent = 0;
    try {
      sent = await this.sendLarge(entry);
      this.sent(entry, sent);
    } catch (e) {
      if (isRealizeError(e) && e.code === "hash_mismatch" && !retried && !this.stopped()) {
        const again = (await this.source.list([entry.path])).entries.find(
          (x) => x.path.text === path && x.kind === "file",
        );
        this.job.advance(path, -this.progressOf(path), 0);
        if (again) return this.large(again, true);
      }
      if (isRealizeError(e) && FATAL.has(e.code) && !(e.code === "cancelled" && this.stopped()))
        throw e;
      if (this.stopped())
        this.job.finish(
          {
            path,
            size: entry.size,
            outcome: "failed",
            bytesSent: sent,
            error: "stopped before the end; run again to resume",
          },
          0,
        );
      else this.fail(entry, reason(e));
    }
  }

  private progressOf(path: string): number {
    return this.job.snapshot().inFlight.find((f) => f.path === path)?.done ?? 0;
  }

  private async sendLarge(entry: TreeEntry): Promise<number> {
    if (!entry.hash) throw new RealizeError("internal", `no hash listed for ${entry.path.text}`);
    const leaves = await this.source.leaves(entry.path, entry.hash);
    const rec = await this.destination.begin(entry, leaves);
    const path = entry.path.text;
    let sent = 0;
    try {
      if (rec.hasBase && entry.size >= DELTA_MIN && rec.need.totalLength > entry.size / 2) {
        const signature = await this.destination.signature(rec.token);
        for await (const ops of this.source.delta(entry.path, signature)) {
          if (this.stopped()) throw new RealizeError("cancelled", "stopped");
          await this.destination.patch(rec.token, ops);
          for (const op of ops) {
            const literal = op.op === "literal" ? op.data.length : 0;
            const rebuilt = op.op === "literal" ? literal : (op.count ?? 1) * signature.blockSize;
            sent += literal;
            this.job.advance(path, rebuilt, literal);
          }
        }
      } else {
        this.job.advance(path, entry.size - rec.need.totalLength, 0);
        const window: Promise<void>[] = [];
        for (const range of rec.need.ranges) {
          let offset = range.start;
          for await (const data of this.source.read(entry.path, range)) {
            if (this.stopped()) throw new RealizeError("cancelled", "stopped");
            window.push(this.destination.write(rec.token, offset, data));
            offset += data.length;
            sent += data.length;
            this.job.advance(path, data.length, data.length);
            if (window.length >= WRITE_WINDOW) await window.shift();
          }
        }
        await Promise.all(window);
      }
      await this.destination.commit(rec.token);
      return sent;
    } catch (e) {
      const keep = this.stopped() || !(isRealizeError(e) && e.code === "hash_mismatch");
      await this.destination.abort(rec.token, keep).catch(() => {});
      throw e;
    }
  }

  private sent(entry: TreeEntry, bytesSent: number): void {
    this.verified.push(entry);
    this.job.finish({ path: entry.path.text, size: entry.size, outcome: "sent", bytesSent }, 0);
  }

  private fail(entry: TreeEntry, error: string): void {
    this.job.finish(
      { path: entry.path.text, size: entry.size, outcome: "failed", bytesSent: 0, error },
      0,
    );
  }

  /** --move: deletes each verified source file, then the source directories left empty. */
  async moveAway(listed: readonly TreeEntry[]): Promise<void> {
    for (const entry of this.verified) {
      try {
        await this.source.remove(entry);
      } catch (e) {
        this.job.failures.push({
          path: entry.path.text,
          error: `copied but not removed: ${reason(e)}`,
        });
      }
    }
    const dirs = listed.filter((e) => e.kind === "dir").map((e) => e.path);
    await this.source.removeEmptyDirs(dirs);
  }
}
