import ignore, { type Ignore } from "ignore";
import { ArenaPath } from "../model/arena-path.ts";
import { RealizeError } from "../model/errors.ts";
import type { RealRoot } from "./real-root.ts";

/** Name of the ignore file at an arena root (CLI.md "Files on disk"). */
export const IGNORE_FILE = ".realizeignore";

/** Largest `.realizeignore` read; a bigger one is refused rather than half applied. */
const IGNORE_FILE_MAX = 1024 * 1024;

/**
 * The `.realizeignore` rules of one arena root, in gitignore syntax (via the `ignore`
 * package): `*`, `**`, `!negation`, `dir/` patterns that match only directories, anchored
 * `/name` patterns. As in git, a path inside an ignored directory is ignored too, whatever
 * a later negation says. Ignored paths are neither sent nor deleted; each peer applies its
 * own rules.
 */
export class IgnoreRules {
  readonly #rules: Ignore;
  readonly #empty: boolean;

  private constructor(rules: Ignore, empty: boolean) {
    this.#rules = rules;
    this.#empty = empty;
  }

  /** Rules from the text of a `.realizeignore`. */
  static parse(text: string): IgnoreRules {
    const empty = text.split("\n").every((line) => /^\s*(#.*)?$/.test(line));
    return new IgnoreRules(ignore().add(text), empty);
  }

  /** No rule: nothing is ignored. */
  static none(): IgnoreRules {
    return new IgnoreRules(ignore(), true);
  }

  /**
   * The rules of `root`, read without following links: a missing `.realizeignore` means no
   * rule. One that is a symlink or not a file, or too big, is refused ("bad_path") so that
   * the caller reports it rather than syncing paths the user meant to ignore.
   */
  static async load(root: RealRoot): Promise<IgnoreRules> {
    const path = ArenaPath.parse(IGNORE_FILE);
    const stats = await root.lstat(path);
    if (stats === undefined) return IgnoreRules.none();
    if (stats.size > IGNORE_FILE_MAX) {
      throw new RealizeError(
        "bad_path",
        `${root.absolute(path)} is ${stats.size} bytes; a ${IGNORE_FILE} of at most ${IGNORE_FILE_MAX} bytes is read`,
        { path: IGNORE_FILE, file: root.absolute(path) },
      );
    }
    const bytes = await root.readRange(path, 0, IGNORE_FILE_MAX);
    return IgnoreRules.parse(Buffer.from(bytes).toString("utf8"));
  }

  /** True when the file, symlink or (with `isDir`) directory at `path` is ignored. */
  ignores(path: ArenaPath, isDir: boolean): boolean {
    if (this.#empty) return false;
    return this.#rules.ignores(isDir ? `${path.text}/` : path.text);
  }

  /** True when `path` or any directory above it is ignored (for paths named one by one). */
  ignoresWithin(path: ArenaPath, isDir: boolean): boolean {
    if (this.#empty) return false;
    const parts = path.components;
    for (let i = 1; i < parts.length; i++) {
      if (this.#rules.ignores(`${parts.slice(0, i).join("/")}/`)) return true;
    }
    return this.ignores(path, isDir);
  }
}
