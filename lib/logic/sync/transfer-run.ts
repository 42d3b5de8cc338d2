import { hashBytes } from "../../hash/index.ts";
import { errorMessage, isRealizeError } from "../../model/errors.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import type { ItemResult, SmallFile, SmallRead, TreeDestination, TreeSource } from "./endpoints.ts";
import { isFatalError } from "./fatal-error.ts";
import type { JobState } from "./job-state.ts";
import { LargeFileSender } from "./large-file-sender.ts";
import type { PlanItem } from "./plan.ts";

/** Files up to this size travel whole, many per round trip, committed in durable batches. */
export const SMALL_FILE = 256 * 1024;
/** Directory and symlink operations per call. */
const META_BATCH = 1000;

/** The per-file reason of a file cut short by --max-duration or a signal. */
const STOPPED = "stopped before the end; run again to resume";

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The hash of what was read when it is the content `entry` was listed with, else
 * undefined: for an entry listed with a hash, the bytes must have it (hashed here unless
 * the source vouched); for one listed without, the file must have held still while it was
 * read, at the listed size and mtime.
 */
function listedHash(
  entry: TreeEntry,
  read: Extract<SmallRead, { data: unknown }>,
): Hash | undefined {
  if (read.data.length !== entry.size) return undefined;
  if (entry.hash === undefined) {
    return read.mtimeNs === entry.mtimeNs ? (read.hash ?? hashBytes(read.data)) : undefined;
  }
  return (read.hash ?? hashBytes(read.data)).equals(entry.hash) ? entry.hash : undefined;
}

/** Counts a plan item that needs no transfer (or a dry run's would-be transfer). */
export function report(job: JobState, item: PlanItem, error?: string, dryRun = false): void {
  const { entry } = item;
  if (entry.kind === "dir") {
    if (error !== undefined) job.failUnplanned(entry.path.text, error);
    return;
  }
  const outcome =
    error !== undefined
      ? "failed"
      : item.action === "unchanged" || item.action === "meta"
        ? "unchanged"
        : "sent";
  job.finish(
    { path: entry.path.text, size: entry.size, outcome, bytesSent: 0, error },
    dryRun ? entry.size : undefined,
  );
}

/** The effects of one transfer, with the job's accounting around each. */
export class TransferRun {
  /** Files and symlinks now verified at the destination: what --move may delete. */
  readonly verified: TreeEntry[] = [];
  private fatal = false;
  private readonly largeFiles: LargeFileSender;

  constructor(
    private readonly source: TreeSource,
    private readonly destination: TreeDestination,
    private readonly job: JobState,
    private readonly stop: AbortSignal | undefined,
    /** The destination's listing by path: a file sent where it listed one is compared by leaves, never streamed. */
    private readonly there: ReadonlyMap<string, TreeEntry>,
  ) {
    this.largeFiles = new LargeFileSender(source, destination, job, stop);
  }

  /** True once --max-duration or a signal asked the job to stop. */
  stopped(): boolean {
    return this.stop?.aborted === true;
  }

  /** True once nothing new may start: the job was stopped or its peer is lost. */
  readonly halted = (): boolean => this.fatal || this.stopped();

  /** Runs a batch operation over plan items and reports each result. */
  async batches(
    items: PlanItem[],
    apply: (entries: TreeEntry[]) => Promise<ItemResult[]>,
    countAsFile: boolean,
  ): Promise<void> {
    for (const group of chunk(items, META_BATCH)) {
      if (this.halted()) return;
      const outcome = await this.guarded(() => apply(group.map((i) => i.entry)));
      const errors = "ok" in outcome ? errorsByPath(outcome.ok) : undefined;
      for (const item of group) {
        const error = errors
          ? errors.get(item.entry.path.text)
          : (outcome as { error: string }).error;
        if (countAsFile || error !== undefined) report(this.job, item, error);
        if (error === undefined && item.entry.kind !== "dir") this.verified.push(item.entry);
      }
    }
  }

  /**
   * Sends a batch of small files whole. A file whose content is no longer what was listed
   * (it changed at the source) is listed again and sent once more on its own.
   */
  async small(batch: TreeEntry[], retried = false): Promise<void> {
    for (const e of batch) this.job.start(e.path.text, e.size);
    const reads = await this.guarded(() => this.source.readSmall(batch.map((e) => e.path)));
    if ("error" in reads) {
      for (const entry of batch) this.fail(entry, reads.error);
      return;
    }
    const data = new Map(reads.ok.map((r) => [r.path, r]));
    const files: SmallFile[] = [];
    const changed: TreeEntry[] = [];
    for (const entry of batch) {
      const read = data.get(entry.path.text);
      if (!read || "error" in read) {
        this.fail(entry, read?.error ?? "the source did not send it");
        continue;
      }
      const hash = listedHash(entry, read);
      if (hash) files.push({ entry: { ...entry, hash }, data: read.data });
      else changed.push(entry);
    }
    if (files.length > 0) {
      const written = await this.guarded(() => this.destination.writeSmall(files));
      const errors = "ok" in written ? errorsByPath(written.ok) : undefined;
      for (const { entry } of files) {
        const error = errors ? errors.get(entry.path.text) : (written as { error: string }).error;
        if (error !== undefined) this.fail(entry, error);
        else this.sent(entry, entry.size, true);
      }
    }
    for (const entry of changed) await this.resend(entry, retried);
  }

  /** Sends one large file: resumes a partial, reuses the base by leaves or by delta. */
  async large(entry: TreeEntry, retried = false): Promise<void> {
    this.job.start(entry.path.text, entry.size);
    try {
      const done = await this.largeFiles.send(
        entry,
        this.there.get(entry.path.text)?.kind === "file",
      );
      this.sent({ ...entry, hash: done.hash }, done.sent);
    } catch (e) {
      if (isRealizeError(e) && e.code === "hash_mismatch") return this.resend(entry, retried);
      this.rethrowFatal(e);
      this.fail(entry, this.stopped() ? STOPPED : errorMessage(e));
    }
  }

  /** A file changed at the source since it was listed: lists it again and sends it once more. */
  private async resend(entry: TreeEntry, retried: boolean): Promise<void> {
    const path = entry.path.text;
    if (this.stopped()) return this.fail(entry, STOPPED);
    if (retried) return this.fail(entry, "it kept changing at the source while being sent");
    const listed = await this.guarded(() => this.source.list([entry.path]));
    const again =
      "ok" in listed
        ? listed.ok.entries.find((x) => x.path.text === path && x.kind === "file")
        : undefined;
    if (!again) {
      return this.fail(entry, "error" in listed ? listed.error : "it was removed at the source");
    }
    this.job.restart(path, entry.size, again.size);
    return again.size <= SMALL_FILE ? this.small([again], true) : this.large(again, true);
  }

  /** Runs one call; an error that ends the job is thrown, any other is returned as its reason. */
  private async guarded<T>(work: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
    try {
      return { ok: await work() };
    } catch (e) {
      this.rethrowFatal(e);
      return { error: this.stopped() ? STOPPED : errorMessage(e) };
    }
  }

  /** Throws `e` when it means the peer or connection is gone (not when it is our own stop). */
  private rethrowFatal(e: unknown): void {
    if (!isFatalError(e)) return;
    if (e.code === "cancelled" && this.stopped()) return;
    this.fatal = true;
    throw e;
  }

  /** A file is verified at the destination; `counted` when its bytes were not yet advanced. */
  private sent(entry: TreeEntry, bytesSent: number, counted = false): void {
    const path = entry.path.text;
    if (counted) this.job.advance(path, entry.size, bytesSent);
    this.verified.push(entry);
    this.job.finish({ path, size: entry.size, outcome: "sent", bytesSent });
  }

  private fail(entry: TreeEntry, error: string): void {
    this.job.finish({
      path: entry.path.text,
      size: entry.size,
      outcome: "failed",
      bytesSent: 0,
      error,
    });
  }

  /** --move: deletes each verified source file, then the source directories left empty. */
  async moveAway(listed: readonly TreeEntry[]): Promise<void> {
    for (const entry of this.verified) {
      const removed = await this.guarded(() => this.source.remove(entry));
      if ("error" in removed) {
        this.job.failures.push({
          path: entry.path.text,
          error: `copied but not removed: ${removed.error}`,
        });
      }
    }
    const dirs = listed.filter((e) => e.kind === "dir").map((e) => e.path);
    if (dirs.length === 0) return;
    const pruned = await this.guarded(() => this.source.removeEmptyDirs(dirs));
    if ("error" in pruned) {
      this.job.failures.push({
        path: dirs[0]!.text,
        error: `empty source directories not removed: ${pruned.error}`,
      });
    }
  }
}

/** The error of each failed item of a batch, by path. */
function errorsByPath(results: readonly ItemResult[]): Map<string, string> {
  const errors = new Map<string, string>();
  for (const r of results) if (r.error !== undefined) errors.set(r.path, r.error);
  return errors;
}
