import { Command, Flags } from "@oclif/core";
import { isRealizeError, type RealizeError } from "../model/errors.ts";
import { EXIT, EXIT_BY_CODE, HINT_BY_CODE } from "./exit-codes.ts";

/**
 * Base of every realize command: the `--config` flag, and the one place where errors become
 * a message on stderr and an exit code (CLI.md). A RealizeError prints its message and a
 * hint, never a stack trace; anything else is a bug and says so.
 */
export abstract class RealizeCommand extends Command {
  static override baseFlags = {
    config: Flags.string({
      description: "read this config file instead of the default one",
      helpValue: "FILE",
    }),
  };

  /** Prints a RealizeError the way users see it, without exiting. */
  protected reportError(err: RealizeError): void {
    const hint = HINT_BY_CODE[err.code];
    process.stderr.write(`realize: ${err.message}\n`);
    if (hint) process.stderr.write(`  hint: ${hint}\n`);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<never> {
    if (isRealizeError(err)) {
      this.reportError(err);
      return this.exit(EXIT_BY_CODE[err.code]);
    }
    const oclif = (err as { oclif?: { exit?: number } }).oclif;
    if (oclif && typeof oclif.exit === "number") {
      // this.exit(n) from a command: leave with n, silently.
      if (oclif.exit === 0 || (err as { code?: unknown }).code === "EEXIT") {
        return this.exit(oclif.exit);
      }
      // oclif's own parse errors: keep their code, usage errors are 2.
      process.stderr.write(
        `realize: ${err.message}\n  hint: see \`${this.config.bin} ${this.id ?? ""} --help\`\n`,
      );
      return this.exit(oclif.exit === 1 ? EXIT.failed : oclif.exit);
    }
    process.stderr.write(`realize: internal error: ${err.stack ?? err.message}\n`);
    return this.exit(EXIT.failed);
  }
}
