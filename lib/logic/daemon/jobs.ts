import type { PeerPaths } from "../../config/paths.ts";
import type { Config } from "../../config/types.ts";
import { errorMessage } from "../../model/errors.ts";
import type { Logger } from "../../model/logger.ts";
import type { TransferProgress, TransferSummary } from "../../model/transfer.ts";
import type { JobRequest, JobStatus } from "../../network/control-protocol.ts";
import { pushPull } from "../sync/push-pull.ts";

interface Job {
  status: JobStatus;
  stop: AbortController;
  done: Promise<void>;
}

/** Jobs the daemon keeps after they end, for `realize status`. */
const KEPT_JOBS = 50;

/**
 * Background push/pull jobs (`--background`): each runs the same pushPull as the CLI
 * would, inside the daemon, with its progress kept for `realize status`. Stopping the
 * daemon stops them cleanly (partials kept; a later run resumes).
 */
export class JobRunner {
  private readonly jobs: Job[] = [];
  private nextId = 1;

  constructor(
    private readonly paths: PeerPaths,
    private readonly config: () => Config,
    private readonly logger: Logger,
  ) {}

  /** Starts a job and returns its id at once; usage errors surface in its status. */
  start(request: JobRequest): number {
    const id = this.nextId++;
    const stop = new AbortController();
    const status: JobStatus = {
      id,
      direction: request.direction,
      arena: request.arena,
      peer: request.peer,
      state: "running",
      started: new Date().toISOString(),
      files: { total: 0, done: 0, sent: 0, unchanged: 0, failed: 0 },
      bytes: { total: 0, done: 0, sent: 0, wire: 0 },
      inFlight: [],
      failed: [],
      error: null,
      seconds: 0,
    };
    const started = performance.now();
    const job: Job = { status, stop, done: Promise.resolve() };
    job.done = pushPull(this.paths, this.config(), {
      direction: request.direction,
      arena: request.arena,
      peer: request.peer,
      paths: request.paths,
      dryRun: request.dryRun,
      move: request.move,
      maxDurationMs: request.maxDurationMs ?? undefined,
      maxRate: request.maxRate ?? undefined,
      signal: stop.signal,
      observer: { progress: (p) => this.progress(status, p) },
    }).then(
      (summary) => this.finish(status, summary),
      (error: unknown) => {
        status.state = "failed";
        status.error = errorMessage(error);
        status.inFlight = [];
        status.seconds = (performance.now() - started) / 1000;
        this.logger.log("warn", "background job failed", { job: id, error: status.error });
      },
    );
    this.jobs.push(job);
    if (this.jobs.length > KEPT_JOBS) {
      const old = this.jobs.findIndex((j) => j.status.state !== "running");
      if (old >= 0) this.jobs.splice(old, 1);
    }
    this.logger.log("info", "background job started", {
      job: id,
      direction: request.direction,
      arena: request.arena,
      peer: request.peer,
    });
    return id;
  }

  /** Every job kept, oldest first. */
  list(): JobStatus[] {
    return this.jobs.map((j) => j.status);
  }

  /** Stops the running jobs cleanly and waits for them. */
  async stopAll(): Promise<void> {
    for (const job of this.jobs) job.stop.abort();
    await Promise.all(this.jobs.map((j) => j.done));
  }

  private progress(status: JobStatus, p: TransferProgress): void {
    status.files = p.files;
    status.bytes = p.bytes;
    status.inFlight = p.inFlight;
    status.seconds = p.elapsedMs / 1000;
  }

  private finish(status: JobStatus, s: TransferSummary): void {
    status.state = s.interrupted ? "stopped" : s.failed.length > 0 ? "partial" : "done";
    status.files = { ...s.files, done: s.files.sent + s.files.unchanged + s.files.failed };
    status.bytes = {
      total: s.bytes.total,
      done: s.bytes.total,
      sent: s.bytes.sent,
      wire: s.bytes.wire,
    };
    status.inFlight = [];
    status.failed = s.failed;
    status.seconds = s.seconds;
    this.logger.log("info", "background job ended", { job: status.id, state: status.state });
  }
}
