import type { BigIntStats } from "node:fs";
import { lstatSync } from "node:fs";
import { readlink } from "node:fs/promises";
import { join } from "node:path";
import { ArenaPath, isPartialName } from "../model/arena-path.ts";
import { ioError, RealizeError } from "../model/errors.ts";
import { dirNames, showBytes } from "./dir-names.ts";
import { IgnoreRules } from "./ignore-rules.ts";
import type { RealEntry } from "./real-entry.ts";
import { realEntry } from "./real-entry.ts";
import type { RealRoot } from "./real-root.ts";

/** One path the walk could not take, with the reason; the walk goes on without it. */
export interface WalkFailure {
  /** The path relative to the root as best it can be shown (bad bytes as `\xNN`). */
  path: string;
  error: RealizeError;
}

/** Everything a walk of an arena root found. */
export interface WalkResult {
  /** Files, directories and symlinks, sorted by ArenaPath.compare (a directory before its contents). */
  entries: RealEntry[];
  /** Paths skipped: bad names, unreadable directories, special files, vanished entries. */
  failures: WalkFailure[];
  /** Partial files seen (`.NAME.realize-partial`): never entries, kept apart for clean-up. */
  partials: ArenaPath[];
}

/** What to walk and how. */
export interface WalkOptions {
  /** Walk only these paths (and everything below those that are directories); default: the whole root. */
  under?: readonly ArenaPath[];
  /** The ignore rules to apply; default: the root's `.realizeignore`. */
  rules?: IgnoreRules;
  /** Directories listed at the same time (default 16). */
  concurrency?: number;
}

/**
 * Lists an arena root without following any symlink: every file, directory (empty ones
 * too) and symlink (with its link text), with lstat metadata at nanosecond precision.
 * `.realizeignore` rules apply (ignored directories are not entered), partial files are
 * never listed, and anything that cannot be listed (a name that is not UTF-8 or breaks the
 * path rules, an unreadable directory, a FIFO or device) is a per-path failure, not an
 * exception. Throws only when the root itself cannot be read.
 */
export async function walkArena(root: RealRoot, options: WalkOptions = {}): Promise<WalkResult> {
  const walk = new Walk(root, options.rules ?? (await IgnoreRules.load(root)));
  await walk.run(options.under, options.concurrency ?? 16);
  walk.entries.sort((a, b) => ArenaPath.compare(a.path, b.path));
  walk.partials.sort(ArenaPath.compare);
  return { entries: walk.entries, failures: walk.failures, partials: walk.partials };
}

/**
 * Entries looked up (with a blocking lstat, about 2 µs each, faster than the thread-pool
 * round trip of the async one) between two yields to the event loop.
 */
const YIELD_EVERY = 256;

const errnoOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

class Walk {
  readonly entries: RealEntry[] = [];
  readonly failures: WalkFailure[] = [];
  readonly partials: ArenaPath[] = [];
  readonly #root: RealRoot;
  readonly #rules: IgnoreRules;

  constructor(root: RealRoot, rules: IgnoreRules) {
    this.#root = root;
    this.#rules = rules;
  }

  async run(under: readonly ArenaPath[] | undefined, concurrency: number): Promise<void> {
    const dirs: (ArenaPath | undefined)[] = [];
    if (under === undefined) {
      dirs.push(undefined);
    } else {
      for (const path of outermost(under)) {
        if (await this.#start(path)) dirs.push(path);
      }
    }
    await drain(dirs, concurrency, (dir) => this.#visit(dir));
  }

  /** Takes one named path; true when it is a directory to walk. */
  async #start(path: ArenaPath): Promise<boolean> {
    let stats: BigIntStats | undefined;
    try {
      stats = await this.#root.lstat(path);
    } catch (e) {
      this.#fail(path.text, e);
      return false;
    }
    if (stats === undefined) {
      const error = new RealizeError(
        "not_found",
        `${JSON.stringify(path.text)} is not in ${this.#root.dir}`,
        {
          path: path.text,
        },
      );
      this.failures.push({ path: path.text, error });
      return false;
    }
    if (this.#rules.ignoresWithin(path, stats.isDirectory())) return false;
    await this.#add(path, stats);
    return stats.isDirectory();
  }

  /** Lists one directory; returns its subdirectories to walk. */
  async #visit(dir: ArenaPath | undefined): Promise<ArenaPath[]> {
    const abs = dir === undefined ? this.#root.dir : this.#root.absolute(dir);
    let listing: Awaited<ReturnType<typeof dirNames>>;
    try {
      listing = await dirNames(abs);
    } catch (e) {
      if (dir === undefined) throw e;
      this.#fail(dir.text, e);
      return [];
    }
    for (const name of listing.undecodable) {
      const shown = dir === undefined ? name : `${dir.text}/${name}`;
      const error = new RealizeError(
        "bad_path",
        `skipping ${JSON.stringify(shown)} in ${this.#root.dir}: its name is not valid UTF-8; rename it to sync it`,
        { path: shown },
      );
      this.failures.push({ path: shown, error });
    }
    const subdirs: ArenaPath[] = [];
    const links: Promise<void>[] = [];
    let sinceYield = 0;
    for (const name of listing.names) {
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const text = dir === undefined ? name : `${dir.text}/${name}`;
      const path = ArenaPath.tryParse(text);
      if (path === undefined) {
        const reason = ArenaPath.check(text);
        const error = new RealizeError(
          "bad_path",
          `skipping ${JSON.stringify(text)}: it ${reason}`,
          {
            path: text,
          },
        );
        this.failures.push({ path: text, error });
        continue;
      }
      if (isPartialName(name)) {
        this.partials.push(path);
        continue;
      }
      let stats: BigIntStats;
      try {
        stats = lstatSync(join(abs, name), { bigint: true });
      } catch (e) {
        if (errnoOf(e) !== "ENOENT") this.#fail(text, ioError("look up", join(abs, name), e));
        continue;
      }
      if (this.#rules.ignores(path, stats.isDirectory())) continue;
      if (stats.isSymbolicLink()) links.push(this.#add(path, stats).then(() => undefined));
      else if (this.#addNow(path, stats) && stats.isDirectory()) subdirs.push(path);
    }
    await Promise.all(links);
    return subdirs;
  }

  /** Records the entry for `path`, reading a symlink's text; false when it was skipped as a failure. */
  async #add(path: ArenaPath, stats: BigIntStats): Promise<boolean> {
    if (!stats.isSymbolicLink()) return this.#addNow(path, stats);
    try {
      return this.#addNow(path, stats, await linkText(this.#root.absolute(path)));
    } catch (e) {
      this.#fail(path.text, e);
      return false;
    }
  }

  /** Records the entry for `path` (not a symlink, or one whose text is known). */
  #addNow(path: ArenaPath, stats: BigIntStats, target?: string): boolean {
    const entry = realEntry(path, stats, target);
    if (entry === undefined) {
      const error = new RealizeError(
        "bad_path",
        `skipping ${JSON.stringify(path.text)}: it is not a file, directory or symlink (a FIFO, socket or device is never synced)`,
        { path: path.text },
      );
      this.failures.push({ path: path.text, error });
      return false;
    }
    this.entries.push(entry);
    return true;
  }

  #fail(path: string, e: unknown): void {
    const error = e instanceof RealizeError ? e : ioError("read", join(this.#root.dir, path), e);
    this.failures.push({ path, error });
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of the link at `abs`; refuses link text that is not UTF-8 (it could not be sent as text). */
async function linkText(abs: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readlink(abs, { encoding: "buffer" });
  } catch (e) {
    throw ioError("read the link", abs, e);
  }
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new RealizeError(
      "bad_path",
      `skipping the symlink ${abs}: its target ${JSON.stringify(showBytes(bytes))} is not valid UTF-8`,
      { file: abs },
    );
  }
}

/** The paths of `paths` that are not inside another one of them, sorted. */
function outermost(paths: readonly ArenaPath[]): ArenaPath[] {
  const sorted = [...paths].sort(ArenaPath.compare);
  const kept: ArenaPath[] = [];
  for (const path of sorted) {
    const last = kept[kept.length - 1];
    if (last === undefined || !path.isWithin(last)) kept.push(path);
  }
  return kept;
}

/** Runs `visit` on every item and on every item it returns, at most `limit` at a time. */
function drain<T>(queue: T[], limit: number, visit: (item: T) => Promise<T[]>): Promise<void> {
  return new Promise((resolve, reject) => {
    let active = 0;
    let failed = false;
    const pump = (): void => {
      if (failed) return;
      if (queue.length === 0 && active === 0) {
        resolve();
        return;
      }
      while (active < limit && queue.length > 0) {
        const item = queue.pop() as T;
        active++;
        visit(item).then(
          (more) => {
            active--;
            queue.push(...more);
            pump();
          },
          (e: unknown) => {
            failed = true;
            reject(e);
          },
        );
      }
    };
    pump();
  });
}
