import type { BigIntStats } from "node:fs";
import { readlink } from "node:fs/promises";
import { join } from "node:path";
import { ArenaPath, isPartialName } from "../model/arena-path.ts";
import { ioError, RealizeError } from "../model/errors.ts";
import { dirNames, showBytes } from "./dir-names.ts";
import {
  type DirStats,
  type EntryStat,
  type EntryStatter,
  entryStatOf,
  entryStatter,
} from "./entry-stat.ts";
import { IgnoreRules } from "./ignore-rules.ts";
import type { RealEntry } from "./real-entry.ts";
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
  const rules = options.rules ?? (await IgnoreRules.load(root));
  const walk = new Walk(root, rules, await entryStatter());
  await walk.run(options.under, options.concurrency ?? 16);
  walk.partials.sort(ArenaPath.compare);
  return { entries: walk.inOrder(), failures: walk.failures, partials: walk.partials };
}

/**
 * Entries looked up (with a blocking lstat, about 2 µs each, faster than the thread-pool
 * round trip of the async one) between two yields to the event loop.
 */
const YIELD_EVERY = 256;

const errnoOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

/** Key of the root in Walk's map of directory contents (no ArenaPath has empty text). */
const ROOT = "";

/**
 * One walk. Each directory's entries are kept apart, in name order, as it is listed (many
 * at once); `inOrder` then lays them out depth first, which is ArenaPath.compare order
 * without sorting the whole listing.
 */
class Walk {
  readonly failures: WalkFailure[] = [];
  readonly partials: ArenaPath[] = [];
  readonly #root: RealRoot;
  readonly #rules: IgnoreRules;
  readonly #lstat: EntryStatter;
  /** The named paths of a walk `under` some, in order (see `run`). */
  readonly #starts: RealEntry[] = [];
  /** The entries of each directory listed, by its path text (ROOT for the root), by name. */
  readonly #contents = new Map<string, RealEntry[]>();

  constructor(root: RealRoot, rules: IgnoreRules, lstat: EntryStatter) {
    this.#root = root;
    this.#rules = rules;
    this.#lstat = lstat;
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

  /**
   * Every entry found, sorted by ArenaPath.compare: each directory right before its
   * contents, siblings by name. The named paths of a walk `under` some are outermost and
   * sorted, so no two of their subtrees interleave.
   */
  inOrder(): RealEntry[] {
    const out: RealEntry[] = [];
    const top = this.#contents.get(ROOT) ?? this.#starts;
    const stack: { list: RealEntry[]; next: number }[] = [{ list: top, next: 0 }];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.next === frame.list.length) {
        stack.pop();
        continue;
      }
      const entry = frame.list[frame.next++]!;
      out.push(entry);
      const inside = entry.kind === "dir" ? this.#contents.get(entry.path.text) : undefined;
      if (inside !== undefined) stack.push({ list: inside, next: 0 });
    }
    return out;
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
    const entry = await this.#entry(path, entryStatOf(stats));
    if (entry !== undefined) this.#starts.push(entry);
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
    const stats = this.#lstat(abs);
    try {
      return await this.#take(dir, abs, listing.names, stats);
    } finally {
      stats.close();
    }
  }

  /** Takes the entries `names` of the directory `dir` (at `abs`); returns its subdirectories. */
  async #take(
    dir: ArenaPath | undefined,
    abs: string,
    names: string[],
    dirStats: DirStats,
  ): Promise<ArenaPath[]> {
    const subdirs: ArenaPath[] = [];
    const links: Promise<void>[] = [];
    const contents: (RealEntry | undefined)[] = [];
    this.#contents.set(dir === undefined ? ROOT : dir.text, contents as RealEntry[]);
    let sinceYield = 0;
    for (const name of sortNames(names)) {
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const path = ArenaPath.tryJoin(dir, name);
      if (path === undefined) {
        const text = dir === undefined ? name : `${dir.text}/${name}`;
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
      let stats: EntryStat | undefined;
      try {
        stats = dirStats.lstat(name);
      } catch (e) {
        const file = `${abs}/${name}`;
        if (errnoOf(e) !== "ENOENT") this.#fail(path.text, ioError("look up", file, e));
        continue;
      }
      if (stats === undefined) continue;
      if (this.#rules.ignores(path, stats.kind === "dir")) continue;
      if (stats.kind === "symlink") {
        const at = contents.push(undefined) - 1;
        links.push(
          this.#entry(path, stats).then((entry) => {
            contents[at] = entry;
          }),
        );
        continue;
      }
      const entry = this.#entryNow(path, stats);
      if (entry === undefined) continue;
      contents.push(entry);
      if (entry.kind === "dir") subdirs.push(path);
    }
    if (links.length > 0) {
      await Promise.all(links);
      let kept = 0;
      for (const entry of contents) if (entry !== undefined) contents[kept++] = entry;
      contents.length = kept;
    }
    return subdirs;
  }

  /** The entry for `path`, reading a symlink's text; undefined when it was skipped as a failure. */
  async #entry(path: ArenaPath, stats: EntryStat): Promise<RealEntry | undefined> {
    if (stats.kind !== "symlink") return this.#entryNow(path, stats);
    try {
      return this.#entryNow(path, stats, await linkText(this.#root.absolute(path)));
    } catch (e) {
      this.#fail(path.text, e);
      return undefined;
    }
  }

  /** The entry for `path` (not a symlink, or one whose text is known), or undefined as a failure. */
  #entryNow(path: ArenaPath, stats: EntryStat, target?: string): RealEntry | undefined {
    const { kind, size, mtimeNs, ctimeNs, ino, mode } = stats;
    if (kind === undefined) {
      const error = new RealizeError(
        "bad_path",
        `skipping ${JSON.stringify(path.text)}: it is not a file, directory or symlink (a FIFO, socket or device is never synced)`,
        { path: path.text },
      );
      this.failures.push({ path: path.text, error });
      return undefined;
    }
    const entry: RealEntry = { path, kind, size, mtimeNs, ctimeNs, ino, mode };
    if (target !== undefined) entry.target = target;
    return entry;
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

/** A UTF-16 unit from U+D800 up: where UTF-16 order and code point order part. */
const HIGH_UNIT = /[\ud800-\uffff]/;

/**
 * Sorts the names of one directory by code point, as ArenaPath.compare orders siblings:
 * by the built-in sort (UTF-16 units, the same order) unless a name holds a high unit.
 */
function sortNames(names: string[]): string[] {
  return names.some((name) => HIGH_UNIT.test(name))
    ? names.sort(ArenaPath.compareText)
    : names.sort();
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
