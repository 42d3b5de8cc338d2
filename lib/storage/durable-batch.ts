import type { BigIntStats } from "node:fs";
import {
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  futimesSync,
  lstatSync,
  renameSync,
  writeSync,
} from "node:fs";
import type { FileHash } from "../hash/index.ts";
import { type ArenaPath, partialPathFor } from "../model/arena-path.ts";
import { errorMessage, ioError, RealizeError } from "../model/errors.ts";
import { claimPartialSync, removeQuietlySync } from "./claim-partial.ts";
import { fsyncDir } from "./fsync-dir.ts";
import { hashContents } from "./hash-contents.ts";
import { type Libc, libc, libcError } from "./libc.ts";
import type { FileMeta } from "./partial-file.ts";
import { type RealEntry, realEntry } from "./real-entry.ts";
import { inTheWay, type RealRoot } from "./real-root.ts";
import {
  type NoReplaceOutcome,
  type RenameNoReplace,
  renameNoReplace,
} from "./rename-no-replace.ts";
import { asSeconds, fileTimes } from "./set-times.ts";
import { syncFilesystem } from "./sync-fs.ts";

/** How a batch makes its partials durable before renaming them. */
export type FlushMode =
  /** One syncfs(2) per filesystem the batch touches (Linux; falls back to "fsync"). */
  | "syncfs"
  /** fsync(2) on every partial. */
  | "fsync";

/** One small file to receive whole: where it goes, its bytes, their hash, and its metadata. */
export interface IncomingFile {
  target: ArenaPath;
  data: Uint8Array;
  /** What the bytes must hash to; a file that does not is refused before any disk write. */
  expected: { hash: FileHash["hash"]; size: number };
  meta: FileMeta;
}

/** The outcome for one file of a batch: its new entry and content hash, or why it was not committed. */
export type BatchResult =
  | { path: ArenaPath; entry: RealEntry; hashed: FileHash; error?: undefined }
  | { path: ArenaPath; error: RealizeError; entry?: undefined; hashed?: undefined };

/** A file of the batch on its way: its partial, once written. */
interface Item {
  file: IncomingFile;
  hashed: FileHash;
  partial: ArenaPath;
  targetAbs: string;
  partialAbs: string;
  fd?: number;
  dev?: bigint;
}

/** Files written between two turns of the event loop (each costs a few blocking calls). */
const YIELD_EVERY = 32;

/**
 * Receives many small files of one root together, so that they do not each pay a flush
 * (about 0.15–0.65 ms apiece) nor a thread-pool round trip per call. Each file's bytes are
 * hashed first (the whole batch at once, on a worker thread, see hashContents): one that
 * does not have its expected hash is refused before anything is written. The others are
 * written to their partials (`.NAME.realize-partial`, opened without following links and
 * locked, as PartialFile does) with their mode and mtime, all made durable in one round
 * (see FlushMode), then renamed over their targets, then each directory touched is fsynced
 * once. Each directory's path is checked for links once per batch before the writes and
 * once before the renames, not per file. A crash at any instant leaves each target old or
 * new, never a mix, because nothing is renamed before the flush, and a result is only
 * given once the renames are durable. The file system calls are blocking ones made in
 * short runs between turns of the event loop. Failures are per file (see BatchResult).
 */
export class DurableBatch {
  readonly root: RealRoot;
  readonly #mode: FlushMode;
  #files: IncomingFile[] = [];
  #bytes = 0;

  constructor(root: RealRoot, options: { flush?: FlushMode } = {}) {
    this.root = root;
    this.#mode = options.flush ?? "syncfs";
  }

  /** Files waiting for `commit`. */
  get count(): number {
    return this.#files.length;
  }

  /** Bytes of content waiting for `commit`. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Queues a file (its bytes must not change until `commit` resolves). */
  add(file: IncomingFile): void {
    this.#files.push(file);
    this.#bytes += file.data.length;
  }

  /** Commits every queued file (see the class comment); the batch is empty afterwards. */
  async commit(): Promise<BatchResult[]> {
    const files = this.#files;
    this.#files = [];
    this.#bytes = 0;
    const results = new Map<IncomingFile, BatchResult>();
    const fail = (item: Item, e: unknown) => {
      if (item.fd !== undefined) closeQuietly(item.fd);
      item.fd = undefined;
      results.set(item.file, { path: item.file.target, error: asRealizeError(e, item) });
    };
    const c = await libc();
    const rename = await renameNoReplace();
    const items: Item[] = [];
    const hashes = await hashContents(files.map((file) => file.data));
    for (const [n, file] of files.entries()) {
      const hashed = hashes[n]!;
      const partial = partialPathFor(file.target);
      const item = {
        file,
        hashed,
        partial,
        targetAbs: this.root.absolute(file.target),
        partialAbs: this.root.absolute(partial),
      };
      if (hashed.size !== file.expected.size || !hashed.hash.equals(file.expected.hash)) {
        fail(item, mismatch(this.root, item));
        continue;
      }
      items.push(item);
    }

    const dirs = new Map<string, Promise<void>>();
    let written: Item[] = [];
    for (const [i, item] of items.entries()) {
      try {
        const parent = item.file.target.parent();
        if (parent !== undefined) {
          const key = parent.text;
          if (!dirs.has(key)) dirs.set(key, this.root.ensureDir(parent, item.file.target).then());
          await dirs.get(key);
        }
        this.#write(item, c);
        written.push(item);
      } catch (e) {
        if (item.fd !== undefined) removeQuietly(item.partialAbs);
        fail(item, e);
      }
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await turn();
    }

    written = await this.#flush(written, c, fail);
    const touched = new Map<string, { dir: ArenaPath | undefined; items: Item[] }>();
    const checked = new Set<string>();
    for (const [i, item] of written.entries()) {
      try {
        const entry = this.#publish(item, checked, rename);
        results.set(item.file, { path: item.file.target, entry, hashed: item.hashed });
        const dir = item.file.target.parent();
        const key = dir?.text ?? "";
        const group = touched.get(key) ?? { dir, items: [] };
        group.items.push(item);
        touched.set(key, group);
      } catch (e) {
        fail(item, e);
      }
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await turn();
    }
    await Promise.all(
      [...touched.values()].map(async ({ dir, items: inDir }) => {
        try {
          await fsyncDir(this.root, dir);
        } catch (e) {
          for (const item of inDir) fail(item, e);
        }
      }),
    );
    return files.map((file) => results.get(file)!);
  }

  /**
   * Writes one file's partial with its mode and mtime (blocking calls). Its directory was
   * checked (and made) by ensureDir for this batch.
   */
  #write(item: Item, c: Libc | null): void {
    const { target, data, meta } = item.file;
    const mode = meta.mode & 0o777;
    const claimed = claimPartialSync(item.partialAbs, target, item.partial, c, mode);
    item.fd = claimed.fd;
    item.dev = claimed.stats.dev;
    try {
      for (let done = 0; done < data.length; ) {
        done += writeSync(claimed.fd, data, done, data.length - done, done);
      }
      if (claimed.stats.size > BigInt(data.length)) ftruncateSync(claimed.fd, data.length);
      if ((Number(claimed.stats.mode) & 0o7777) !== mode) fchmodSync(claimed.fd, mode);
      if (c === null) futimesSync(claimed.fd, Date.now() / 1000, asSeconds(meta.mtimeNs));
      else if (c.futimens(claimed.fd, fileTimes(meta.mtimeNs)) !== 0) {
        throw libcError("futimens", item.partialAbs, c.errno());
      }
    } catch (e) {
      throw failure("write", item, e);
    }
  }

  /** Makes the partials durable; returns those that are. */
  async #flush(
    items: Item[],
    c: Libc | null,
    fail: (item: Item, e: unknown) => void,
  ): Promise<Item[]> {
    if (this.#mode === "syncfs" && c !== null && items.length > 0) {
      const byDevice = new Map<bigint, Item[]>();
      for (const item of items) {
        const group = byDevice.get(item.dev!) ?? [];
        group.push(item);
        byDevice.set(item.dev!, group);
      }
      const flushed = await Promise.all(
        [...byDevice.values()].map(async (group) => ({
          group,
          errno: await syncFilesystem(group[0]!.fd!, group[0]!.dev),
        })),
      );
      if (flushed.every(({ errno }) => errno !== -1)) {
        const ok: Item[] = [];
        for (const { group, errno } of flushed) {
          if (errno === 0) {
            ok.push(...group);
            continue;
          }
          const cause = libcError("syncfs", this.root.dir, errno);
          for (const item of group) {
            removeQuietly(item.partialAbs);
            fail(item, failure("flush", item, cause));
          }
        }
        return ok;
      }
    }
    const ok: Item[] = [];
    for (const item of items) {
      try {
        fsyncSync(item.fd!);
        ok.push(item);
      } catch (e) {
        removeQuietly(item.partialAbs);
        fail(item, failure("flush", item, e));
      }
    }
    return ok;
  }

  /**
   * Renames one partial over its target and closes it; the target's new entry. The parents
   * are checked once per directory of the batch (`checked` holds those found sound). A
   * target that is not there yet is renamed to without a look (RENAME_NOREPLACE refuses
   * anything that appeared meanwhile, which is then looked at as below).
   */
  #publish(item: Item, checked: Set<string>, rename: RenameNoReplace | null): RealEntry {
    const { target } = item.file;
    const dir = target.parent()?.text ?? "";
    if (!checked.has(dir)) {
      this.root.resolveSync(target);
      checked.add(dir);
    }
    const abs = item.targetAbs;
    let outcome: NoReplaceOutcome = "unsupported";
    try {
      outcome = rename?.(item.partialAbs, abs) ?? "unsupported";
    } catch (e) {
      throw ioError("rename into place", abs, e);
    }
    if (outcome === "renamed") return this.#close(item);
    let there: BigIntStats | undefined;
    try {
      there = lstatSync(abs, { bigint: true });
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw ioError("look up", abs, e);
    }
    if (there?.isDirectory()) {
      throw new RealizeError(
        "bad_path",
        `refusing ${JSON.stringify(target.text)}: a directory stands where the file goes in ${this.root.dir}`,
        { path: target.text },
      );
    }
    if (there !== undefined && !there.isFile() && !there.isSymbolicLink()) {
      throw inTheWay(target, target.text, there);
    }
    try {
      renameSync(item.partialAbs, abs);
    } catch (e) {
      throw ioError("rename into place", abs, e);
    }
    return this.#close(item);
  }

  /** Closes a published item's file; the target's new entry. */
  #close(item: Item): RealEntry {
    const { target } = item.file;
    const stats = fstatSync(item.fd!, { bigint: true });
    closeSync(item.fd!);
    item.fd = undefined;
    return realEntry(target, stats)!;
  }
}

/** Lets the event loop run (other requests, the network) between runs of blocking calls. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {}
}

function removeQuietly(abs: string): void {
  try {
    removeQuietlySync(abs);
  } catch {}
}

function mismatch(root: RealRoot, item: Item): RealizeError {
  const { target, expected } = item.file;
  const got =
    item.hashed.size !== expected.size
      ? `${item.hashed.size} bytes instead of ${expected.size}`
      : `hash ${item.hashed.hash.toHex()}`;
  const file = root.absolute(target);
  return new RealizeError(
    "hash_mismatch",
    `refusing ${file}: the received content has ${got}, not the expected ${expected.hash.toHex()}; the file was left as it was`,
    { path: target.text, file, expected: expected.hash.toHex(), kept: false },
  );
}

/** The error for a failed `op` on an item: "disk_full" names the file on a full disk. */
function failure(op: string, item: Item, cause: unknown): RealizeError {
  const file = item.targetAbs;
  const error = ioError(op, file, cause);
  if (error.code !== "disk_full") return error;
  return new RealizeError(
    "disk_full",
    `no space left on the device to receive ${file}; its partial file was removed so that other files still fit`,
    { path: item.file.target.text, file },
    cause,
  );
}

function asRealizeError(e: unknown, item: Item): RealizeError {
  if (e instanceof RealizeError) return e;
  const reason = errorMessage(e);
  return new RealizeError(
    "io",
    `cannot commit ${item.targetAbs}: ${reason}`,
    { path: item.file.target.text },
    e,
  );
}
