import type {
  FileResult,
  TransferDirection,
  TransferProgress,
  TransferSummary,
} from "../../model/transfer.ts";

const EMIT_MS = 50;

/** Who hears about a running job: the progress view, a log, the control socket. */
export interface JobObserver {
  progress?(snapshot: TransferProgress): void;
  file?(result: FileResult): void;
}

/**
 * The counters of one push/pull while it runs, and the summary it ends with. Per-file
 * failures are data here (CONVENTIONS.md): they are counted and listed, never thrown.
 */
export class JobState {
  readonly files = { total: 0, done: 0, sent: 0, unchanged: 0, failed: 0 };
  readonly bytes = { total: 0, done: 0, sent: 0 };
  readonly failures: { path: string; error: string }[] = [];
  private readonly inFlight = new Map<string, { size: number; done: number }>();
  private readonly started = performance.now();
  private lastEmit = Number.NEGATIVE_INFINITY;

  constructor(
    readonly arena: string,
    readonly peer: string,
    readonly direction: TransferDirection,
    private readonly wireBytes: () => number,
    private readonly observer: JobObserver = {},
  ) {}

  /** Counts a file (or symlink) of `size` bytes into the job's scope. */
  plan(size: number): void {
    this.files.total++;
    this.bytes.total += size;
  }

  start(path: string, size: number): void {
    this.inFlight.set(path, { size, done: 0 });
    this.emit();
  }

  /** `bytes` of a file's content were accounted for; `sent` of them crossed the network. */
  advance(path: string, bytes: number, sent: number): void {
    const f = this.inFlight.get(path);
    if (f) f.done += bytes;
    this.bytes.done += bytes;
    this.bytes.sent += sent;
    this.emit();
  }

  /**
   * A file (started or not) is sent again from the start, now `size` bytes (it changed at the
   * source): what `advance` counted of it is taken back and the job's total follows its size.
   */
  restart(path: string, oldSize: number, size: number): void {
    const f = this.inFlight.get(path);
    if (f) this.bytes.done -= f.done;
    this.inFlight.delete(path);
    this.bytes.total += size - oldSize;
  }

  /**
   * A file ended; `remaining` is the part of its size not yet counted by `advance` (by
   * default: what is left of the file in flight, or its whole size), so that `bytes.done`
   * reaches `bytes.total` when every file has ended, whatever its outcome.
   */
  finish(result: FileResult, remaining?: number): void {
    const f = this.inFlight.get(result.path);
    this.inFlight.delete(result.path);
    this.files.done++;
    this.bytes.done += remaining ?? Math.max(0, result.size - (f?.done ?? 0));
    if (result.outcome === "sent") this.files.sent++;
    else if (result.outcome === "unchanged") this.files.unchanged++;
    else {
      this.files.failed++;
      this.failures.push({ path: result.path, error: result.error ?? "failed" });
    }
    this.observer.file?.(result);
    this.emit();
  }

  /** A path that failed before it was even counted (listing errors). */
  failUnplanned(path: string, error: string): void {
    this.files.total++;
    this.finish({ path, size: 0, outcome: "failed", bytesSent: 0, error }, 0);
  }

  snapshot(): TransferProgress {
    return {
      arena: this.arena,
      peer: this.peer,
      direction: this.direction,
      files: { ...this.files },
      bytes: { ...this.bytes, wire: this.wireBytes() },
      inFlight: [...this.inFlight].map(([path, f]) => ({ path, ...f })),
      elapsedMs: performance.now() - this.started,
    };
  }

  summary(interrupted: boolean, dryRun: boolean): TransferSummary {
    const { done: _done, ...files } = this.files;
    return {
      arena: this.arena,
      peer: this.peer,
      direction: this.direction,
      files,
      bytes: { total: this.bytes.total, sent: this.bytes.sent, wire: this.wireBytes() },
      failed: [...this.failures].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
      seconds: Math.round((performance.now() - this.started) / 10) / 100,
      interrupted,
      dryRun,
    };
  }

  /** Tells the observer, at most every EMIT_MS (snapshots are not free). */
  private emit(): void {
    if (!this.observer.progress) return;
    const now = performance.now();
    if (now - this.lastEmit < EMIT_MS) return;
    this.lastEmit = now;
    this.observer.progress(this.snapshot());
  }
}
