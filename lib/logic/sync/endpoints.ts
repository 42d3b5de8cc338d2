import type { DeltaOp } from "../../delta/delta-op.ts";
import type { Signature } from "../../delta/signature.ts";
import type { ArenaPath } from "../../model/arena-path.ts";
import type { ByteRange } from "../../model/byte-range.ts";
import type { ByteRanges } from "../../model/byte-ranges.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";

/**
 * The two ends of a one-shot transfer. Push is (local source → remote destination) and pull
 * is (remote source → local destination); the remote ones forward each call over RPC to
 * the peer, whose service answers it with the local ones. So one engine (transfer.ts) and
 * one implementation per side serve both directions, and tests can run the engine over
 * two local ends.
 */

/** A path that could not be listed or handled, with the reason, reported by name. */
export interface PathFailure {
  path: string;
  error: string;
}

/** What one side holds under the transfer's scope. */
export interface Listing {
  entries: TreeEntry[];
  failures: PathFailure[];
}

/** The outcome of one item of a batch: done, or why not. */
export interface ItemResult {
  path: string;
  error?: string;
}

/**
 * Content of a small file read whole, or why it could not be read as listed. `hash` is the
 * source's word for the hash of `data`, so the bytes need not be hashed again to be
 * compared with the listing; the destination verifies them whatever is said here.
 * `mtimeNs` is given when the file held still while it was read (same size, mtime, inode
 * and ctime before and after): `data` is then the whole of the version with that mtime.
 */
export type SmallRead =
  | { path: string; data: Uint8Array; hash?: Hash; mtimeNs?: bigint }
  | { path: string; error: string };

/** The hash of a file as the source finds it now, with the version it hashed, or why not. */
export type HashRead =
  | { path: string; hash: Hash; size: number; mtimeNs: bigint }
  | { path: string; error: string };

/** What a listing says of file content: every file hashed, or only hashes known without reading. */
export type ListHashes = "all" | "known";

/**
 * A piece of a whole-file stream: the bytes in order, then, last, the Merkle root of
 * exactly the bytes sent (hashed as they were read).
 */
export type StreamPiece = { data: Uint8Array } | { hash: Hash };

/** The side files are copied from. */
export interface TreeSource {
  /**
   * Every entry under `scope` (the whole arena when empty), honouring the side's ignore
   * rules. With `hashes` "known", a file whose hash is not known without reading it (its
   * index record no longer describes it) is listed without one; see `hashes`.
   */
  list(scope: readonly ArenaPath[], hashes?: ListHashes): Promise<Listing>;
  /** The hashes of files as they are now (read and hashed unless the index vouches). */
  hashes(paths: readonly ArenaPath[]): Promise<HashRead[]>;
  /**
   * Merkle leaf hashes of the file as listed. Throws RealizeError "hash_mismatch" when the
   * file no longer has `hash` (it changed since it was listed).
   */
  leaves(path: ArenaPath, hash: Hash): Promise<Hash[]>;
  /** The bytes of `range` of the file, as a stream of chunks. */
  read(path: ArenaPath, range: ByteRange, signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /**
   * The whole of a file in order, then the root of what was sent (see StreamPiece), for a
   * file listed without a hash: nothing is read twice. Throws RealizeError "hash_mismatch"
   * when the file is not the version `listed` describes, or changed while it was read.
   */
  stream(
    path: ArenaPath,
    listed: { size: number; mtimeNs: bigint },
    signal?: AbortSignal,
  ): AsyncIterable<StreamPiece>;
  /** Whole content of several small files at once (one round trip). */
  readSmall(paths: readonly ArenaPath[]): Promise<SmallRead[]>;
  /**
   * The delta of the file against the destination's signature of its base; with `ranges`,
   * the delta of just those ranges of the file laid end to end (see TreeDestination.signature).
   */
  delta(
    path: ArenaPath,
    signature: Signature,
    signal?: AbortSignal,
    ranges?: ByteRanges,
  ): AsyncIterable<DeltaOp[]>;
  /**
   * Removes the file or symlink after its copy was verified at the destination (--move);
   * refuses with "hash_mismatch" when it changed since it was listed, so no edit is lost.
   */
  remove(entry: TreeEntry): Promise<void>;
  /** Removes those directories that are empty (deepest first); others are left alone. */
  removeEmptyDirs(dirs: readonly ArenaPath[]): Promise<void>;
}

/** A file whose content arrives whole in one batch. */
export interface SmallFile {
  entry: TreeEntry;
  data: Uint8Array;
}

/** An open incoming file: what the destination still needs of it. */
export interface Reception {
  token: number;
  /** Byte ranges the destination lacks (not in an earlier partial, not in its base). */
  need: ByteRanges;
  /** True when the destination has a base file that a delta could draw on. */
  hasBase: boolean;
  /**
   * Begun without leaf hashes: true when an earlier partial holds bytes that leaves could
   * vouch for, so the caller may rather abort (keeping it) and begin again with leaves.
   */
  resumable?: boolean;
}

/** The side files are copied to. Every write lands in a partial and is verified before it shows. */
export interface TreeDestination {
  list(scope: readonly ArenaPath[]): Promise<Listing>;
  /** Creates the directories (parents first). */
  makeDirs(entries: readonly TreeEntry[]): Promise<ItemResult[]>;
  /** Creates or replaces the symlinks atomically. */
  makeLinks(entries: readonly TreeEntry[]): Promise<ItemResult[]>;
  /** Sets mtime and permission bits of files whose content is already right. */
  setMeta(entries: readonly TreeEntry[]): Promise<ItemResult[]>;
  /** Writes, verifies and durably commits many small files together. */
  writeSmall(files: readonly SmallFile[]): Promise<ItemResult[]>;
  /**
   * Opens the partial of a file: says which ranges are still needed given the source's
   * leaf hashes, what an earlier partial holds and what the current file (`base`) shares.
   * Without `leaves` (a file streamed whole, whose hash comes at `commit`) the whole file
   * is needed and the partial starts empty, unless it is `resumable` (see Reception).
   */
  begin(entry: TreeEntry, leaves?: readonly Hash[]): Promise<Reception>;
  write(token: number, offset: number, data: Uint8Array): Promise<void>;
  /**
   * The rsync signature of the base file, for a delta. With `ranges` (some of what the
   * reception needs), the signature of the base's bytes over those ranges laid end to end
   * (cut to the base's size), in small blocks: the patches that follow then rebuild just
   * those ranges of the partial, so a small edit costs little more than its own bytes.
   */
  signature(token: number, ranges?: ByteRanges): Promise<Signature>;
  /**
   * Rebuilds the whole partial (or the ranges given to `signature`) from delta ops against
   * the base, in order, across calls.
   */
  patch(token: number, ops: readonly DeltaOp[]): Promise<void>;
  /**
   * Verifies the partial against the entry's hash (or `hash`, for a reception begun without
   * one) and renames it into place.
   */
  commit(token: number, hash?: Hash): Promise<void>;
  /** Gives the file up; `keep` leaves the partial for a later run to resume (if it holds any bytes). */
  abort(token: number, keep: boolean): Promise<void>;
  /** The job is over (or its connection is gone): closes open files, keeping their partials. */
  release(): Promise<void>;
}
