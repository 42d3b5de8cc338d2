import type { BigIntStats } from "node:fs";
import { constants } from "node:fs";
import { type FileHandle, lstat, open, rename, unlink } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { LEAF_SIZE, MerkleHasher } from "../hash/index.ts";
import { sealRoot, treeTop } from "../hash/merkle.ts";
import { type ArenaPath, partialPathFor } from "../model/arena-path.ts";
import { ByteRange } from "../model/byte-range.ts";
import { ByteRanges } from "../model/byte-ranges.ts";
import { ioError, RealizeError } from "../model/errors.ts";
import { Hash } from "../model/hash.ts";
import { partialBusy, partialInTheWay } from "./claim-partial.ts";
import { fsyncDir } from "./fsync-dir.ts";
import { LOCK_EX, LOCK_NB, libc, libcError } from "./libc.ts";
import { PartialContent } from "./partial-content.ts";
import { type RealEntry, realEntry } from "./real-entry.ts";
import { inTheWay, NO_FOLLOW, type RealRoot } from "./real-root.ts";
import { type KnownBase, reuseTarget } from "./reuse-target.ts";
import { setFileMtime } from "./set-times.ts";

/** The content a partial must end up holding: its hash, size and (for resuming) leaf hashes. */
export interface ExpectedContent {
  hash: Hash;
  size: number;
  /** Leaf hashes of the content; when given, a partial that fails its hash is kept if any leaf verifies. */
  leaves?: readonly Hash[];
}

/** What the committed file keeps of its source besides content. */
export interface FileMeta {
  /** Modification time in nanoseconds since the epoch, set exactly. */
  mtimeNs: bigint;
  /** Permission bits; `mode & 0o777` is applied (so the executable bits are kept), never setuid/setgid/sticky. */
  mode: number;
}

const READ_BYTES = 16 * LEAF_SIZE;
const errnoOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

/**
 * Incoming content for one file of an arena root, written to `.NAME.realize-partial`
 * beside the target (never under the target's own name) and renamed over the target only
 * once it is durable and its Merkle root matches. Opened without following links, after
 * checking every parent directory; an existing partial (a crash, an interrupted run) is
 * reopened, not truncated, so that `existingLeaves` can say what still verifies. On a full
 * disk the partial is removed at once and RealizeError "disk_full" names the file.
 *
 * Decision on a hash mismatch at commit: the target is never touched; the partial is kept
 * when the caller gave the expected leaf hashes and at least one leaf of the partial
 * verifies (a resume rewrites only the bad leaves), otherwise it is removed.
 */
export class PartialFile {
  readonly root: RealRoot;
  readonly target: ArenaPath;
  /** The partial's own path in the arena (see partialPathFor). */
  readonly partial: ArenaPath;
  #handle: FileHandle | undefined;
  /** Why the partial was given up (a full disk): what every later call fails with. */
  #gaveUp: RealizeError | undefined;
  /** The bytes, with what each leaf is known to hold (so commit need not read them back). */
  readonly #content: PartialContent;
  #leaves: Hash[] | undefined;

  private constructor(root: RealRoot, target: ArenaPath, handle: FileHandle) {
    this.root = root;
    this.target = target;
    this.partial = partialPathFor(target);
    this.#handle = handle;
    this.#content = new PartialContent({
      handle: () => this.#open(),
      name: this.partialAbsolute,
      failed: (op, cause) => this.failed(op, cause),
    });
  }

  /**
   * Opens (creating if needed, with its parent directories) the partial file of `target`.
   * Refuses ("bad_path") when a symlink or file stands where a parent directory goes, or
   * when a directory occupies the partial's name. A symlink or hard-linked file found under
   * the partial's name is replaced by a fresh file, so a write never lands elsewhere. One
   * reception at a time: while a partial is open (in any process), opening it again is
   * refused ("refused", naming the file), so two writers never mix their bytes in it.
   */
  static async open(root: RealRoot, target: ArenaPath): Promise<PartialFile> {
    const parent = target.parent();
    if (parent !== undefined) await root.ensureDir(parent, target);
    const partial = partialPathFor(target);
    const abs = await root.resolve(partial);
    for (let attempt = 0; ; attempt++) {
      let handle: FileHandle;
      try {
        handle = await open(abs, constants.O_RDWR | constants.O_CREAT | NO_FOLLOW, 0o600);
      } catch (e) {
        if (errnoOf(e) === "ELOOP" && attempt === 0) {
          await removeQuietly(abs);
          continue;
        }
        if (errnoOf(e) === "EISDIR") throw partialInTheWay(target, partial, true);
        throw ioError("create the partial file", abs, e);
      }
      const stats = await handle.stat({ bigint: true });
      if (stats.isFile() && stats.nlink === 1n) {
        if (await lockOwn(handle, abs, stats, target)) return new PartialFile(root, target, handle);
        await handle.close();
        if (attempt < 3) continue;
        throw partialBusy(target, abs);
      }
      await handle.close();
      if (attempt > 0 || stats.isDirectory()) {
        throw partialInTheWay(target, partial, stats.isDirectory());
      }
      await removeQuietly(abs);
    }
  }

  /** Absolute path of the partial file. */
  get partialAbsolute(): string {
    return this.root.absolute(this.partial);
  }

  /** Absolute path of the target file. */
  get targetAbsolute(): string {
    return this.root.absolute(this.target);
  }

  /** The lstat of the open partial (device, inode, size…). */
  async stats(): Promise<BigIntStats> {
    return this.#open().stat({ bigint: true });
  }

  /** The open file descriptor of the partial (for flushing its whole filesystem at once). */
  get fd(): number {
    return this.#open().fd;
  }

  /** Current size of the partial in bytes. */
  async size(): Promise<number> {
    return Number((await this.#open().stat({ bigint: true })).size);
  }

  /**
   * Writes all of `bytes` at `offset`. Writes may be in flight together; one that overlaps
   * an earlier one still in flight waits for it, so they land in the order called. The
   * leaves the bytes fill are hashed as they are written (see PartialContent), so `verify`
   * reads back only what it was not shown. `bytes` must not change until the returned
   * promise settles: what is hashed and what is written are the same bytes.
   */
  write(offset: number, bytes: Uint8Array): Promise<void> {
    return this.#content.write(offset, bytes);
  }

  /** Cuts or extends (with zeros) the partial to `size` bytes, after the writes in flight. */
  truncate(size: number): Promise<void> {
    return this.#content.truncate(size);
  }

  /**
   * For each leaf of `expected`, whether the partial already holds exactly that leaf's
   * bytes (same hash). A shorter partial has its missing and cut leaves false; bytes past
   * `expected.size` play no part (the last leaf is compared only over its own length).
   */
  async existingLeaves(expected: { size: number; leaves: readonly Hash[] }): Promise<boolean[]> {
    const handle = this.#open();
    const have = Math.min(await this.size(), expected.size);
    const hasher = new MerkleHasher();
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (let at = 0; at < have; ) {
      const { bytesRead } = await handle
        .read(buffer, 0, Math.min(READ_BYTES, have - at), at)
        .catch((e: unknown) => Promise.reject(ioError("read", this.partialAbsolute, e)));
      if (bytesRead === 0) break;
      hasher.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    const held = hasher.size;
    const got = hasher.digest().leaves;
    got.forEach((leaf, i) => {
      this.#content.know(i, leaf.bytes, Math.max(0, Math.min(LEAF_SIZE, held - i * LEAF_SIZE)));
    });
    return expected.leaves.map((leaf, i) => {
      const end = Math.min((i + 1) * LEAF_SIZE, expected.size);
      return end <= held && got[i] !== undefined && got[i].equals(leaf);
    });
  }

  /**
   * Prepares a resume: cuts the partial to `expected.size` if longer, and returns the byte
   * ranges still to be written (every leaf that does not verify). With `reuseTarget`, each
   * leaf the partial lacks is first looked for at the same offset in the current target
   * file (an appended log, a file edited in place) and copied from there when its hash
   * matches, so only what differs needs to come from the peer. With `base`, the target's
   * leaf hashes are taken from it (no reading) while the target still has the recorded
   * size, mtime, inode and ctime, and the matching leaves are copied inside the kernel.
   */
  async resume(
    expected: { size: number; leaves: readonly Hash[] },
    options: { reuseTarget?: boolean; base?: KnownBase } = {},
  ): Promise<ByteRanges> {
    if ((await this.size()) > expected.size) await this.truncate(expected.size);
    const good = await this.existingLeaves(expected);
    if (options.reuseTarget === true && good.some((ok) => !ok))
      await reuseTarget(this.#content, this.root, this.target, expected, good, options.base);
    const missing: ByteRange[] = [];
    good.forEach((ok, i) => {
      if (!ok && expected.size > 0) {
        missing.push(new ByteRange(i * LEAF_SIZE, Math.min((i + 1) * LEAF_SIZE, expected.size)));
      }
    });
    return ByteRanges.of(...missing);
  }

  /**
   * Checks the partial's whole content against `expected` (size, then Merkle root), after
   * the writes in flight. The root is computed from what the leaves hold: leaves whose
   * bytes went through `write`, were copied or were verified are known already, the others
   * are read back and hashed. On a mismatch throws RealizeError "hash_mismatch" naming the
   * file, after keeping or removing the partial as the class comment says.
   */
  async verify(expected: ExpectedContent): Promise<void> {
    await this.#content.settled();
    const size = await this.size();
    let actual: Hash | undefined;
    let leaves: Uint8Array[] | undefined;
    if (size === expected.size) {
      leaves = await this.#content.leafHashes(size);
      actual = Hash.fromBytes(sealRoot(treeTop(leaves), size));
      if (actual.equals(expected.hash)) {
        this.#leaves = leaves.map((leaf) => Hash.fromBytes(leaf));
        return;
      }
    }
    let kept = false;
    if (expected.leaves !== undefined && expected.leaves.length > 0) {
      kept =
        leaves !== undefined
          ? expected.leaves.some(
              (leaf, i) => leaves[i] !== undefined && leaf.equals(Hash.fromBytes(leaves[i]!)),
            )
          : (await this.existingLeaves({ size: expected.size, leaves: expected.leaves })).some(
              Boolean,
            );
    }
    if (!kept) await this.abort();
    const got =
      actual === undefined ? `${size} bytes instead of ${expected.size}` : `hash ${actual.toHex()}`;
    throw new RealizeError(
      "hash_mismatch",
      `refusing ${this.targetAbsolute}: the received content has ${got}, not the expected ${expected.hash.toHex()}; the file was left as it was${kept ? " (the verified part is kept for the next run)" : ""}`,
      { path: this.target.text, file: this.targetAbsolute, expected: expected.hash.toHex(), kept },
    );
  }

  /** The leaf hashes of the content once `verify` passed (what the index records), else undefined. */
  get leaves(): Hash[] | undefined {
    return this.#leaves;
  }

  /** Sets the permission bits and the exact mtime the committed file will have. */
  async applyMeta(meta: FileMeta): Promise<void> {
    const handle = this.#open();
    try {
      await handle.chmod(meta.mode & 0o777);
      await setFileMtime(handle.fd, meta.mtimeNs, this.partialAbsolute);
    } catch (e) {
      throw await this.failed("set the mode and mtime of", e);
    }
  }

  /**
   * Makes the partial's content and metadata durable. fsync, not fdatasync: the latter may
   * skip an inode whose only other change is its mtime, and the mtime is part of the file.
   * Measured here, both cost the same for freshly written files.
   */
  async sync(): Promise<void> {
    try {
      await this.#open().sync();
    } catch (e) {
      throw await this.failed("flush", e);
    }
  }

  /**
   * Renames the partial over the target and closes it; returns the target's new entry.
   * Does not fsync the directory (commit and DurableBatch do). Refuses ("bad_path") when a
   * directory stands at the target or a symlink is in the way of its parents; the partial
   * stays for a later run.
   */
  async publish(): Promise<RealEntry> {
    const handle = this.#open();
    const target = await this.root.resolve(this.target);
    let there: BigIntStats | undefined;
    try {
      there = await lstat(target, { bigint: true });
    } catch (e) {
      if (errnoOf(e) !== "ENOENT") throw ioError("look up", target, e);
    }
    if (there?.isDirectory()) {
      throw new RealizeError(
        "bad_path",
        `refusing ${JSON.stringify(this.target.text)}: a directory stands where the file goes in ${this.root.dir}`,
        { path: this.target.text },
      );
    }
    if (there !== undefined && !there.isFile() && !there.isSymbolicLink()) {
      throw inTheWay(this.target, this.target.text, there);
    }
    try {
      await rename(this.partialAbsolute, target);
    } catch (e) {
      throw ioError("rename into place", target, e);
    }
    const stats = await handle.stat({ bigint: true });
    await this.close();
    return realEntry(this.target, stats)!;
  }

  /**
   * Verifies, applies `meta`, makes the content durable, renames it over the target and
   * fsyncs the directory: afterwards the target holds exactly the expected content, even
   * after a crash, and before it the target was untouched. Returns the target's entry.
   * Closes the partial either way; one that failed may stay on disk (see the class comment).
   */
  async commit(expected: ExpectedContent, meta: FileMeta): Promise<RealEntry> {
    try {
      await this.verify(expected);
      await this.applyMeta(meta);
      await this.sync();
      const entry = await this.publish();
      await fsyncDir(this.root, this.target.parent());
      return entry;
    } finally {
      await this.close();
    }
  }

  /** Closes and removes the partial; the target is left as it is. */
  async abort(): Promise<void> {
    // Removed while still open (and locked), so no other reception can take it meanwhile.
    try {
      if (this.#handle !== undefined) await removeQuietly(this.partialAbsolute);
    } finally {
      await this.close();
    }
  }

  /** Closes the partial file, leaving it on disk for a later run. */
  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }

  #open(): FileHandle {
    if (this.#gaveUp !== undefined) throw this.#gaveUp;
    if (this.#handle === undefined) {
      throw new Error(`the partial file of ${this.target.text} is already closed`);
    }
    return this.#handle;
  }

  /**
   * The error for a failed `op` (the partial's own, or a shared flush that `cause` comes
   * from); on a full disk the partial is removed first, so that other files still fit.
   */
  async failed(op: string, cause: unknown): Promise<RealizeError> {
    if (this.#gaveUp !== undefined) return this.#gaveUp;
    const error = ioError(op, this.targetAbsolute, cause);
    if (error.code !== "disk_full") return error;
    this.#gaveUp = new RealizeError(
      "disk_full",
      `no space left on the device to receive ${this.targetAbsolute}; its partial file was removed so that other files still fit`,
      { path: this.target.text, file: this.targetAbsolute, errno: errnoOf(cause) },
      cause,
    );
    await this.abort();
    return this.#gaveUp;
  }
}

/**
 * Takes the exclusive lock of an opened partial, so that two receptions of one path (two
 * peers pushing it, a pull during a push) never write into the same file: the second is
 * refused ("refused", naming the file). True once locked and `abs` still names the locked
 * file; false when a commit renamed it away meanwhile (the caller opens afresh). Without
 * libc (not Linux) nothing is locked.
 */
async function lockOwn(
  handle: FileHandle,
  abs: string,
  opened: BigIntStats,
  target: ArenaPath,
): Promise<boolean> {
  const c = await libc();
  if (c === null) return true;
  if (c.flock(handle.fd, LOCK_EX | LOCK_NB) !== 0) {
    const errno = c.errno();
    await handle.close();
    if (errno === osConstants.errno.EWOULDBLOCK) throw partialBusy(target, abs);
    throw ioError("lock", abs, libcError("flock", abs, errno));
  }
  const now = await lstat(abs, { bigint: true }).catch(() => undefined);
  return now !== undefined && now.ino === opened.ino && now.dev === opened.dev;
}

async function removeQuietly(abs: string): Promise<void> {
  try {
    await unlink(abs);
  } catch (e) {
    if (errnoOf(e) !== "ENOENT") throw ioError("remove", abs, e);
  }
}
