/**
 * Plain data of a push/pull job: the progress the UI shows while it runs and the summary it
 * ends with (CLI.md "push/pull --json summary").
 */

/** Which way file content moves, from this peer's point of view. */
export type TransferDirection = "push" | "pull";

/** What happened to one file. */
export type FileOutcome = "sent" | "unchanged" | "failed";

/** One finished file, reported as it completes. */
export interface FileResult {
  path: string;
  size: number;
  outcome: FileOutcome;
  /** File content that crossed the network for it (literal delta data included). */
  bytesSent: number;
  /** Why it failed, for outcome "failed". */
  error?: string;
}

/** A file being transferred right now. */
export interface FileInFlight {
  path: string;
  size: number;
  done: number;
}

/** Where a running job stands. */
export interface TransferProgress {
  arena: string;
  peer: string;
  direction: TransferDirection;
  files: { total: number; done: number; sent: number; unchanged: number; failed: number };
  /** bytes.total: content of every file in scope; done: content accounted for so far. */
  bytes: { total: number; done: number; sent: number; wire: number };
  inFlight: FileInFlight[];
  /** Milliseconds since the job started. */
  elapsedMs: number;
}

/** The end of a job: the JSON summary of CLI.md. */
export interface TransferSummary {
  arena: string;
  peer: string;
  direction: TransferDirection;
  files: { total: number; sent: number; unchanged: number; failed: number };
  bytes: { total: number; sent: number; wire: number };
  failed: { path: string; error: string }[];
  seconds: number;
  /** True when --max-duration or a signal stopped the job before the end (exit 4). */
  interrupted: boolean;
  dryRun: boolean;
}
