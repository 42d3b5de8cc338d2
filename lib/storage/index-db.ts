import type { Database, Statement } from "bun:sqlite";
import type { BigIntStats } from "node:fs";
import { ArenaPath } from "../model/arena-path.ts";
import { RealizeError } from "../model/errors.ts";
import { Hash } from "../model/hash.ts";
import { hashOpenFile } from "./hash-open-file.ts";
import { type RealEntry, sameVersion } from "./real-entry.ts";
import type { RealRoot } from "./real-root.ts";
import { openStateDb } from "./state-db.ts";

/** What the index knows of one real file: the metadata it was hashed at, and the hash. */
export interface IndexedFile {
  path: ArenaPath;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
  ctimeNs: bigint;
  mode: number;
  hash: Hash;
}

/** A file's hash as hashIfChanged found it. */
export interface CheckedHash {
  hash: Hash;
  size: number;
  /** True when the file was read and hashed, false when the index answered. */
  rehashed: boolean;
}

/**
 * A file changed this close to when it was hashed may change again without its size,
 * mtime or ctime moving (timestamps advance in ticks: milliseconds on ext4 without
 * fine-grained timestamps, 2 s on FAT). Such a record is not trusted, and the file is
 * hashed again, until its ctime (which, unlike mtime, nobody can set) is this far before
 * its hashing.
 */
export const RACY_WINDOW_NS = 2_000_000_000n;

/** Tries to hash a file that keeps changing before giving up on it for this run. */
const HASH_ATTEMPTS = 3;

interface Row {
  size: bigint;
  mtime_ns: bigint;
  ino: bigint;
  ctime_ns: bigint;
  mode: bigint;
  hash: Uint8Array;
  checked_ns: bigint;
}

const u64 = (stored: bigint) => BigInt.asUintN(64, stored);
const i64 = (value: bigint) => BigInt.asIntN(64, value);

/**
 * The index of real files: per arena and path, the size, mtime (ns), inode, ctime (ns) and
 * mode a file had when it was hashed, with its hash and leaf hashes. Lets a scan skip
 * reading every file whose metadata did not move (CLI.md: a change is seen by size, mtime
 * to the nanosecond, inode and ctime). Lives in the peer's state database.
 */
export class IndexDb {
  readonly db: Database;
  readonly #lookup: Statement<Row, [string, string]>;
  readonly #leaves: Statement<{ leaves: Uint8Array }, [string, string]>;
  readonly #record: Statement;
  readonly #remove: Statement;
  readonly #paths: Statement<{ path: string }, [string]>;

  readonly #now: () => bigint;

  /**
   * The index inside an already opened state database (see openStateDb). `now` gives the
   * wall-clock time in ns (tests move it to step over RACY_WINDOW_NS).
   */
  constructor(db: Database, options: { now?: () => bigint } = {}) {
    this.db = db;
    this.#now = options.now ?? nowNs;
    this.#lookup = db
      .query<Row, [string, string]>(
        "SELECT size, mtime_ns, ino, ctime_ns, mode, hash, checked_ns FROM real_file WHERE arena = ? AND path = ?",
      )
      .safeIntegers(true);
    this.#leaves = db.query("SELECT leaves FROM real_file WHERE arena = ? AND path = ?");
    this.#record = db.query(
      `INSERT OR REPLACE INTO real_file
         (arena, path, size, mtime_ns, ino, ctime_ns, mode, hash, leaves, checked_ns)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#remove = db.query("DELETE FROM real_file WHERE arena = ? AND path = ?");
    this.#paths = db.query("SELECT path FROM real_file WHERE arena = ?");
  }

  /** Opens the peer's state database in `stateDir` (created and migrated as needed). */
  static open(stateDir: string, options: { now?: () => bigint } = {}): IndexDb {
    return new IndexDb(openStateDb(stateDir), options);
  }

  /** What the index holds for `path` of `arena`, if anything. */
  lookup(arena: string, path: ArenaPath): IndexedFile | undefined {
    const row = this.#lookup.get(arena, path.text);
    return row === null ? undefined : fromRow(path, row);
  }

  /** The leaf hashes recorded for `path` of `arena` (for range proofs and resuming). */
  leaves(arena: string, path: ArenaPath): Hash[] | undefined {
    const row = this.#leaves.get(arena, path.text);
    if (row === null) return undefined;
    const out: Hash[] = [];
    for (let at = 0; at < row.leaves.length; at += Hash.BYTES) {
      out.push(Hash.fromBytes(row.leaves.subarray(at, at + Hash.BYTES)));
    }
    return out;
  }

  /**
   * The recorded hash and leaves of the real file `entry` (as lstat sees it now) when the
   * record still describes it: same size, mtime, inode and ctime, and not racy (see
   * RACY_WINDOW_NS). Undefined otherwise: the file must be read to know its content.
   */
  current(arena: string, entry: RealEntry): { hash: Hash; leaves: Hash[] } | undefined {
    const row = this.#lookup.get(arena, entry.path.text);
    if (row === null) return undefined;
    const known = fromRow(entry.path, row);
    if (!sameVersion(known, entry) || row.ctime_ns + RACY_WINDOW_NS > row.checked_ns) {
      return undefined;
    }
    const leaves = this.leaves(arena, entry.path);
    return leaves === undefined ? undefined : { hash: known.hash, leaves };
  }

  /**
   * Records `file` with its leaf hashes. `checkedNs` is the wall-clock time (ns) when its
   * content was read; a file changed within RACY_WINDOW_NS before that is hashed again next
   * time. Default: now (right for a file realize itself just wrote and verified).
   */
  record(arena: string, file: IndexedFile, leaves: readonly Hash[], checkedNs = this.#now()): void {
    this.#record.run(
      arena,
      file.path.text,
      file.size,
      i64(file.mtimeNs),
      i64(file.ino),
      i64(file.ctimeNs),
      file.mode,
      file.hash.bytes,
      packLeaves(leaves),
      i64(checkedNs),
    );
  }

  /** Forgets `path` of `arena` (after it was removed or became unreal). */
  remove(arena: string, path: ArenaPath): void {
    this.#remove.run(arena, path.text);
  }

  /** Every path the index holds for `arena`, sorted by ArenaPath.compare. */
  /** How many real files of `arena` the index knows, and their bytes. */
  totals(arena: string): { files: number; bytes: number } {
    const row = this.db
      .query<{ files: number; bytes: number | null }, [string]>(
        "SELECT COUNT(*) AS files, SUM(size) AS bytes FROM real_file WHERE arena = ?",
      )
      .get(arena);
    return { files: row?.files ?? 0, bytes: Number(row?.bytes ?? 0) };
  }

  paths(arena: string): ArenaPath[] {
    return this.#paths
      .all(arena)
      .map((row) => ArenaPath.parse(row.path))
      .sort(ArenaPath.compare);
  }

  /** Runs `fn` in one transaction (many records at the cost of one commit). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /**
   * The hash of the real file `entry` (from walkArena) of `arena`: the recorded one when
   * size, mtime (ns), inode and ctime are all unchanged and the record is not racy (see
   * RACY_WINDOW_NS); otherwise the file is read through a no-follow open, hashed, and
   * recorded. A file that keeps changing while it is read is an "io" error naming it.
   * Calls for different files may run concurrently (a first scan of many small files goes
   * several times faster with a few in flight).
   */
  async hashIfChanged(arena: string, root: RealRoot, entry: RealEntry): Promise<CheckedHash> {
    const row = this.#lookup.get(arena, entry.path.text);
    if (row !== null) {
      const known = fromRow(entry.path, row);
      if (sameVersion(known, entry) && row.ctime_ns + RACY_WINDOW_NS <= row.checked_ns) {
        return { hash: known.hash, size: known.size, rehashed: false };
      }
    }
    for (let attempt = 1; ; attempt++) {
      const checkedNs = this.#now();
      const { handle, stats: before } = await root.openReadStat(entry.path);
      try {
        const hashed = await hashOpenFile(handle, Number(before.size), root.absolute(entry.path));
        const after = await handle.stat({ bigint: true });
        if (sameStats(before, after) && hashed.size === Number(after.size)) {
          const file: IndexedFile = {
            path: entry.path,
            size: hashed.size,
            mtimeNs: after.mtimeNs,
            ino: after.ino,
            ctimeNs: after.ctimeNs,
            mode: Number(after.mode) & 0o7777,
            hash: hashed.hash,
          };
          this.record(arena, file, hashed.leaves, checkedNs);
          return { hash: hashed.hash, size: hashed.size, rehashed: true };
        }
      } finally {
        await handle.close();
      }
      if (attempt >= HASH_ATTEMPTS) {
        throw new RealizeError(
          "io",
          `${root.absolute(entry.path)} kept changing while it was read (${HASH_ATTEMPTS} tries); it is skipped this time`,
          { path: entry.path.text, file: root.absolute(entry.path) },
        );
      }
    }
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }
}

function fromRow(path: ArenaPath, row: Row): IndexedFile {
  return {
    path,
    size: Number(row.size),
    mtimeNs: row.mtime_ns,
    ino: u64(row.ino),
    ctimeNs: row.ctime_ns,
    mode: Number(row.mode),
    hash: Hash.fromBytes(row.hash),
  };
}

function packLeaves(leaves: readonly Hash[]): Uint8Array {
  const out = new Uint8Array(leaves.length * Hash.BYTES);
  leaves.forEach((leaf, i) => {
    out.set(leaf.bytes, i * Hash.BYTES);
  });
  return out;
}

function sameStats(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
