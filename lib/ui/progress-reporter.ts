import type { FileResult, TransferProgress, TransferSummary } from "../model/transfer.ts";
import { formatBytes, formatDuration, formatPath } from "./format.ts";

/** How a job shows its progress (CLI.md `--progress auto|bar|log|none`). */
export type ProgressMode = "auto" | "bar" | "log" | "none";

/** What a running job tells its user. All output goes to stderr; stdout stays for data. */
export interface ProgressReporter {
  /** The job's state changed; called often, reporters throttle themselves. */
  progress(snapshot: TransferProgress): void;
  /** One file finished. */
  file(result: FileResult): void;
  /** The job ended; the reporter releases the terminal. */
  finish(summary: TransferSummary): Promise<void>;
}

/** One line per finished file, for pipes and logs: `sent docs/a.txt (12 KiB)`. */
export class LogReporter implements ProgressReporter {
  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(l)) {}

  progress(): void {}

  file(result: FileResult): void {
    const detail =
      result.outcome === "failed"
        ? `: ${result.error ?? "failed"}`
        : result.outcome === "sent"
          ? ` (${formatBytes(result.bytesSent)} sent of ${formatBytes(result.size)})`
          : "";
    this.write(`${result.outcome} ${formatPath(result.path)}${detail}\n`);
  }

  async finish(summary: TransferSummary): Promise<void> {
    this.write(`${summaryLine(summary)}\n`);
  }
}

/**
 * Shows no progress (cron), but still lists each failed file with its reason on stderr at
 * the end, since exit 3 promises that every file not synced is named.
 */
export class SilentReporter implements ProgressReporter {
  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(l)) {}

  progress(): void {}
  file(): void {}
  async finish(summary: TransferSummary): Promise<void> {
    for (const line of failureLines(summary)) this.write(line);
  }
}

/** One `failed PATH: reason` line per failed file of a finished job. */
export function failureLines(s: TransferSummary): string[] {
  return s.failed.map((f) => `failed ${formatPath(f.path)}: ${f.error}\n`);
}

/** The closing line of a job in plain text. */
export function summaryLine(s: TransferSummary): string {
  const verb = s.dryRun ? "would send" : "sent";
  const parts = [
    `${s.direction} ${s.arena} ${s.direction === "push" ? "to" : "from"} ${s.peer}:`,
    `${s.files.total} files, ${verb} ${s.files.sent} (${formatBytes(s.bytes.sent)} of ${formatBytes(s.bytes.total)}, ${formatBytes(s.bytes.wire)} on the wire),`,
    `${s.files.unchanged} unchanged, ${s.files.failed} failed, in ${formatDuration(s.seconds)}`,
  ];
  if (s.interrupted) parts.push("(stopped early; run it again to resume)");
  return parts.join(" ");
}

/**
 * Picks the reporter for a mode: `auto` is the Ink bar on a TTY and one line per file on a
 * pipe. The Ink view is loaded only when used, so cron runs never load React.
 */
export async function createReporter(
  mode: ProgressMode,
  stderrIsTTY: boolean = process.stderr.isTTY === true,
): Promise<ProgressReporter> {
  const resolved = mode === "auto" ? (stderrIsTTY ? "bar" : "log") : mode;
  if (resolved === "none") return new SilentReporter();
  if (resolved === "log") return new LogReporter();
  const { InkReporter } = await import("./ink-reporter.tsx");
  return new InkReporter();
}
