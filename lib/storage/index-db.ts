import type { Database, Statement } from "bun:sqlite";
import type { BigIntStats } from "node:fs";
import { type FileHash, MerkleHasher } from "../hash/index.ts";
import { ArenaPath } from "../model/arena-path.ts";
import { RealizeError } from "../model/errors.ts";
import { Hash } from "../model/hash.ts";
import { hashOpenFile } from "./hash-open-file.ts";
import { type RealEntry, sameVersion, versionOf } from "./real-entry.ts";
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
/** Files up to this size are read and hashed with blocking calls, in one piece. */
const SMALL_FILE = 256 * 1024;
/** Records of hashIfChanged kept back to be written together, at most this many. */
const DEFERRED_RECORDS = 512;

/** A record kept back (see hashIfChanged), written by `flush`. */
interface Deferred {
  arena: string;
  file: IndexedFile;
  leaves: readonly Hash[];
  checkedNs: bigint;
}

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
  readonly #allRows: Statement<Row & { path: string }, [string]>;

  readonly #now: () => bigint;
  /** Records not yet written, by arena and path; lookups see them. */
  readonly #deferred = new Map<string, Deferred>();
  #flushSoon: ReturnType<typeof setImmediate> | undefined;
  /** Rows of arenas being listed, read in one query (see preload). */
  readonly #preloaded = new Map<string, { users: number; rows: Map<string, Row> }>();

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
    this.#allRows = db
      .query<Row & { path: string }, [string]>(
        "SELECT path, size, mtime_ns, ino, ctime_ns, mode, hash, checked_ns FROM real_file WHERE arena = ?",
      )
      .safeIntegers(true);
  }

  /** Opens the peer's state database in `stateDir` (created and migrated as needed). */
  static open(stateDir: string, options: { now?: () => bigint } = {}): IndexDb {
    return new IndexDb(openStateDb(stateDir), options);
  }

  /** What the index holds for `path` of `arena`, if anything. */
  lookup(arena: string, path: ArenaPath): IndexedFile | undefined {
    const row = this.#row(arena, path.text);
    return row === null ? undefined : fromRow(path, row);
  }

  /**
   * Reads every row of `arena` at once, so that the lookups of a listing of many files
   * cost no query each; the returned function ends that (calls may nest). Rows that
   * another process records meanwhile are not seen: such a file is only hashed again.
   */
  preload(arena: string): () => void {
    let loaded = this.#preloaded.get(arena);
    if (loaded === undefined) {
      const rows = new Map<string, Row>();
      for (const row of this.#allRows.all(arena)) rows.set(row.path, row);
      loaded = { users: 0, rows };
      this.#preloaded.set(arena, loaded);
    }
    loaded.users++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--loaded.users === 0) this.#preloaded.delete(arena);
    };
  }

  /** Writes the records hashIfChanged kept back (it also happens by itself soon after). */
  flush(): void {
    if (this.#flushSoon !== undefined) clearImmediate(this.#flushSoon);
    this.#flushSoon = undefined;
    if (this.#deferred.size === 0) return;
    const deferred = [...this.#deferred.values()];
    this.#deferred.clear();
    this.transaction(() => {
      for (const d of deferred) this.#write(d.arena, d.file, d.leaves, d.checkedNs);
    });
  }

  /** The leaf hashes recorded for `path` of `arena` (for range proofs and resuming). */
  leaves(arena: string, path: ArenaPath): Hash[] | undefined {
    const deferred = this.#deferred.get(keyOf(arena, path.text));
    if (deferred !== undefined) return [...deferred.leaves];
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
    const hash = this.currentHash(arena, entry);
    const leaves = hash && this.leaves(arena, entry.path);
    return hash && leaves && { hash, leaves };
  }

  /** The recorded hash of `entry` when the record still describes it (see `current`). */
  currentHash(arena: string, entry: RealEntry): Hash | undefined {
    const row = this.#row(arena, entry.path.text);
    return row !== null && describes(row, entry) ? Hash.fromBytes(row.hash) : undefined;
  }

  /** The index's clock (wall-clock ns): what a reader takes before reading a file it will record. */
  clock(): bigint {
    return this.#now();
  }

  /**
   * Records the hash of a file read whole by someone else than hashIfChanged (a transfer
   * that hashed the bytes it sent), kept back and written with others like its records.
   * `checkedNs` is `clock()` taken before the read began, so a racy file is hashed again.
   */
  recordRead(arena: string, file: IndexedFile, leaves: readonly Hash[], checkedNs: bigint): void {
    this.#defer(arena, file, leaves, checkedNs);
  }

  /**
   * Records `file` with its leaf hashes. `checkedNs` is the wall-clock time (ns) when its
   * content was read; a file changed within RACY_WINDOW_NS before that is hashed again next
   * time. Default: now (right for a file realize itself just wrote and verified).
   */
  record(arena: string, file: IndexedFile, leaves: readonly Hash[], checkedNs = this.#now()): void {
    this.#deferred.delete(keyOf(arena, file.path.text));
    this.#write(arena, file, leaves, checkedNs);
  }

  #write(arena: string, file: IndexedFile, leaves: readonly Hash[], checkedNs: bigint): void {
    this.#preloaded.get(arena)?.rows.set(file.path.text, toRow(file, checkedNs));
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
    this.#deferred.delete(keyOf(arena, path.text));
    this.#preloaded.get(arena)?.rows.delete(path.text);
    this.#remove.run(arena, path.text);
  }

  /** Every path the index holds for `arena`, sorted by ArenaPath.compare. */
  /** How many real files of `arena` the index knows, and their bytes. */
  totals(arena: string): { files: number; bytes: number } {
    this.flush();
    const row = this.db
      .query<{ files: number; bytes: number | null }, [string]>(
        "SELECT COUNT(*) AS files, SUM(size) AS bytes FROM real_file WHERE arena = ?",
      )
      .get(arena);
    return { files: row?.files ?? 0, bytes: Number(row?.bytes ?? 0) };
  }

  paths(arena: string): ArenaPath[] {
    this.flush();
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
    const row = this.#row(arena, entry.path.text);
    if (row !== null && describes(row, entry)) {
      return { hash: Hash.fromBytes(row.hash), size: entry.size, rehashed: false };
    }
    let small = entry.size <= SMALL_FILE;
    for (let attempt = 1; ; attempt++) {
      const checkedNs = this.#now();
      const read = small ? hashSmallSync(root, entry.path) : await hashWhole(root, entry.path);
      if (read === null) {
        small = false;
        attempt--;
        continue;
      }
      if (read !== undefined) {
        const { hashed, after } = read;
        const file: IndexedFile = {
          path: entry.path,
          size: hashed.size,
          mtimeNs: after.mtimeNs,
          ino: after.ino,
          ctimeNs: after.ctimeNs,
          mode: Number(after.mode) & 0o7777,
          hash: hashed.hash,
        };
        this.#defer(arena, file, hashed.leaves, checkedNs);
        return { hash: hashed.hash, size: hashed.size, rehashed: true };
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

  /** Writes what was kept back, then closes the database. */
  close(): void {
    this.flush();
    this.db.close();
  }

  /** The row of `path`: kept back, preloaded, or from the database. */
  #row(arena: string, path: string): Row | null {
    const deferred = this.#deferred.size === 0 ? undefined : this.#deferred.get(keyOf(arena, path));
    if (deferred !== undefined) return toRow(deferred.file, deferred.checkedNs);
    const preloaded = this.#preloaded.get(arena);
    if (preloaded !== undefined) return preloaded.rows.get(path) ?? null;
    return this.#lookup.get(arena, path);
  }

  /** Keeps a record back to be written with others in one transaction. */
  #defer(arena: string, file: IndexedFile, leaves: readonly Hash[], checkedNs: bigint): void {
    this.#deferred.set(keyOf(arena, file.path.text), { arena, file, leaves, checkedNs });
    this.#preloaded.get(arena)?.rows.set(file.path.text, toRow(file, checkedNs));
    if (this.#deferred.size >= DEFERRED_RECORDS) {
      this.flush();
      return;
    }
    this.#flushSoon ??= setImmediate(() => {
      this.#flushSoon = undefined;
      try {
        this.flush();
      } catch {
        // The index is a cache: a record that could not be written is hashed again later.
      }
    });
  }
}

/** A file's content hash with its fstat after the read; undefined when it changed meanwhile. */
type HashedRead = { hashed: FileHash; after: BigIntStats } | undefined;

/** Hashes a small file read in one piece with blocking calls; null once it is no longer small. */
function hashSmallSync(root: RealRoot, path: ArenaPath): HashedRead | null {
  const { data, before, after } = root.readWholeSync(path, SMALL_FILE);
  if (after.size > BigInt(SMALL_FILE)) return null;
  if (!sameVersion(versionOf(before), versionOf(after)) || data.length !== Number(after.size))
    return undefined;
  return { hashed: new MerkleHasher().update(data).digest(), after };
}

/** Hashes a file through a no-follow open, its metadata compared before and after. */
async function hashWhole(root: RealRoot, path: ArenaPath): Promise<HashedRead> {
  const { handle, stats: before } = await root.openReadStat(path);
  try {
    const hashed = await hashOpenFile(handle, Number(before.size), root.absolute(path));
    const after = await handle.stat({ bigint: true });
    if (!sameVersion(versionOf(before), versionOf(after)) || hashed.size !== Number(after.size))
      return undefined;
    return { hashed, after };
  } finally {
    await handle.close();
  }
}

function keyOf(arena: string, path: string): string {
  return `${arena}\0${path}`;
}

function toRow(file: IndexedFile, checkedNs: bigint): Row {
  return {
    size: BigInt(file.size),
    mtime_ns: file.mtimeNs,
    ino: i64(file.ino),
    ctime_ns: file.ctimeNs,
    mode: BigInt(file.mode),
    hash: file.hash.bytes,
    checked_ns: checkedNs,
  };
}

/**
 * True when `row` was recorded for the file `entry` as it is now (same size, mtime, inode
 * and ctime, as sameVersion) and is not racy (see RACY_WINDOW_NS).
 */
function describes(row: Row, entry: RealEntry): boolean {
  return (
    Number(row.size) === entry.size &&
    row.mtime_ns === entry.mtimeNs &&
    row.ctime_ns === entry.ctimeNs &&
    u64(row.ino) === entry.ino &&
    row.ctime_ns + RACY_WINDOW_NS <= row.checked_ns
  );
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

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
