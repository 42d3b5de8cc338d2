import { Args, Flags } from "@oclif/core";
import type { TransferDirection, TransferSummary } from "../model/transfer.ts";
import { RealizeCommand } from "./base-command.ts";
import { EXIT } from "./exit-codes.ts";

/** The exit code of a finished job (CLI.md): 4 stopped early, 3 some files failed, else 0. */
export function exitCodeOf(summary: TransferSummary): number {
  if (summary.interrupted) return EXIT.interrupted;
  return summary.failed.length > 0 ? EXIT.partial : EXIT.ok;
}

/** The --json summary of CLI.md (snake_case extras after the required fields). */
export function summaryJson(s: TransferSummary): object {
  return {
    arena: s.arena,
    peer: s.peer,
    files: s.files,
    bytes: s.bytes,
    failed: s.failed,
    seconds: s.seconds,
    direction: s.direction,
    interrupted: s.interrupted,
    dry_run: s.dryRun,
  };
}

/**
 * What `realize push` and `realize pull` share: arguments, flags, and the run (parse, call
 * lib/logic/sync/push-pull.ts, render the summary, exit with its code).
 */
export abstract class TransferCommand extends RealizeCommand {
  protected abstract readonly direction: TransferDirection;

  static override args = {
    arena: Args.string({ description: "the arena to transfer", required: true }),
    peer: Args.string({
      description: "the peer to transfer with (it runs `realize serve`)",
      required: true,
    }),
  };
  static override strict = false;

  static override flags = {
    move: Flags.boolean({
      description:
        "delete each source file once its copy is verified at the destination, then source directories left empty",
    }),
    "dry-run": Flags.boolean({ description: "say what would be transferred; change nothing" }),
    json: Flags.boolean({ description: "print the summary as one JSON document on stdout" }),
    "max-duration": Flags.string({
      description: "stop cleanly after this long (exit 4); run again to resume",
      helpValue: "DUR",
    }),
    "max-rate": Flags.string({
      description: "cap on bytes per second, like 20MB/s",
      helpValue: "RATE",
    }),
    progress: Flags.string({
      description: "auto: a progress bar on a terminal, one line per file on a pipe",
      options: ["auto", "bar", "log", "none"],
      default: "auto",
    }),
    background: Flags.boolean({
      description:
        "hand the job to the running `realize serve` and return; `realize status` shows it",
    }),
  };

  async run(): Promise<void> {
    // oclif spreads the class's own statics; these live on this base class, so name them.
    const { args, argv, flags } = await this.parse({
      args: TransferCommand.args,
      flags: TransferCommand.flags,
      baseFlags: RealizeCommand.baseFlags,
      strict: false,
    });
    const paths = (argv as string[]).slice(2);
    const { usageError } = await import("../model/errors.ts");
    const { parseDuration } = await import("./duration.ts");
    let maxDurationMs: number | undefined;
    if (flags["max-duration"] !== undefined) {
      const parsed = parseDuration(flags["max-duration"]);
      if (typeof parsed === "string") throw usageError(`--max-duration: ${parsed}`);
      maxDurationMs = parsed;
    }
    let maxRate: number | undefined;
    if (flags["max-rate"] !== undefined) {
      const { parseRate } = await import("../config/size.ts");
      const parsed = parseRate(flags["max-rate"]);
      if (typeof parsed === "string") throw usageError(`--max-rate: ${parsed}`);
      maxRate = parsed;
    }
    const { loadPeer } = await import("./load.ts");
    const { config, paths: peerPaths } = await loadPeer(flags.config);
    if (flags.background) {
      const { startBackgroundJob } = await import("../logic/daemon/background.ts");
      const id = await startBackgroundJob(peerPaths, config, {
        direction: this.direction,
        arena: args.arena,
        peer: args.peer,
        paths,
        dryRun: flags["dry-run"] ?? false,
        move: flags.move ?? false,
        maxDurationMs: maxDurationMs ?? null,
        maxRate: maxRate ?? null,
      });
      if (flags.json) process.stdout.write(`${JSON.stringify({ job: id })}\n`);
      else {
        const way = this.direction === "push" ? "to" : "from";
        this.log(
          `job ${id} started in the running realize serve: ${this.direction} ${args.arena} ${way} ${args.peer}; \`${this.config.bin} status\` shows its progress`,
        );
      }
      return;
    }
    const { createReporter } = await import("../ui/progress-reporter.ts");
    const reporter = await createReporter(flags.progress as "auto" | "bar" | "log" | "none");
    const { pushPull } = await import("../logic/sync/push-pull.ts");
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const summary = await pushPull(peerPaths, config, {
      direction: this.direction,
      arena: args.arena,
      peer: args.peer,
      paths,
      dryRun: flags["dry-run"],
      move: flags.move,
      maxDurationMs,
      maxRate,
      signal: stop.signal,
      observer: { progress: (p) => reporter.progress(p), file: (f) => reporter.file(f) },
    });
    await reporter.finish(summary);
    if (flags.json) process.stdout.write(`${JSON.stringify(summaryJson(summary))}\n`);
    const code = exitCodeOf(summary);
    if (code !== EXIT.ok) this.exit(code);
  }
}
