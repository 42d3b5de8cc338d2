import { encodeDelta } from "../../delta/delta.ts";
import type { DeltaOp } from "../../delta/delta-op.ts";
import type { Signature } from "../../delta/signature.ts";
import { SplicedRanges } from "../../delta/spliced-ranges.ts";
import { type FileHash, hashFile, LEAF_SIZE, MerkleHasher } from "../../hash/index.ts";
import type { ArenaPath } from "../../model/arena-path.ts";
import type { ByteRange } from "../../model/byte-range.ts";
import type { ByteRanges } from "../../model/byte-ranges.ts";
import { errorMessage, isRealizeError, RealizeError } from "../../model/errors.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import { RealEdits } from "../../storage/real-edits.ts";
import { realEntry, sameVersion, versionOf } from "../../storage/real-entry.ts";
import { readFully } from "../../storage/real-root.ts";
import type {
  HashRead,
  ListHashes,
  Listing,
  SmallRead,
  StreamPiece,
  TreeSource,
} from "./endpoints.ts";
import { type LocalArena, listLocalTree } from "./local-tree.ts";
import { spliceChunks } from "./splice-reads.ts";
import { SMALL_FILE } from "./transfer-run.ts";

/** Small files read between two turns of the event loop. */
const READS_PER_TURN = 64;
/** Bytes per read of a streamed file: a whole number of leaves (one read ahead). */
const STREAM_CHUNK = 4 * LEAF_SIZE;
/** Literal bytes per batch of delta ops handed on at once. */
const OPS_BATCH_BYTES = 512 * 1024;
const OPS_BATCH_COUNT = 1024;

function changed(arena: LocalArena, path: ArenaPath, what: string): RealizeError {
  return new RealizeError(
    "hash_mismatch",
    `${arena.root.absolute(path)} ${what} since it was listed; it is retried or skipped this run`,
    { path: path.text, file: arena.root.absolute(path) },
  );
}

/** The files of an arena root of this peer, as the source of a push (or of a peer's pull). */
export class LocalSource implements TreeSource {
  private readonly edits: RealEdits;

  constructor(private readonly arena: LocalArena) {
    this.edits = new RealEdits(arena.root);
  }

  list(scope: readonly ArenaPath[], hashes?: ListHashes): Promise<Listing> {
    return listLocalTree(this.arena, scope, hashes);
  }

  async hashes(paths: readonly ArenaPath[]): Promise<HashRead[]> {
    const out: HashRead[] = [];
    for (const path of paths) {
      try {
        const { entry, hash } = await this.current(path);
        out.push({ path: path.text, hash, size: entry.size, mtimeNs: entry.mtimeNs });
      } catch (e) {
        out.push({ path: path.text, error: errorMessage(e) });
      }
    }
    return out;
  }

  /**
   * Sends the file in chunks (one read ahead) while it is hashed beside, from the same
   * open file, by hashFile (its worker threads for a big file): neither waits for the
   * other and no chunk is copied for hashing. Both read the same bytes unless the file
   * changed, which the fstat before and after catches. Records the hash, so the next
   * listing knows it.
   */
  async *stream(
    path: ArenaPath,
    listed: { size: number; mtimeNs: bigint },
  ): AsyncIterable<StreamPiece> {
    const { root, index, name } = this.arena;
    const checkedNs = index.clock();
    const { handle, stats: before } = await root.openReadStat(path).catch((e: unknown) => {
      throw isRealizeError(e) && e.code === "not_found"
        ? changed(this.arena, path, "was removed")
        : e;
    });
    let hashing: Promise<FileHash> | undefined;
    try {
      if (Number(before.size) !== listed.size || before.mtimeNs !== listed.mtimeNs) {
        throw changed(this.arena, path, "changed");
      }
      hashing = hashFile(`/proc/self/fd/${handle.fd}`);
      hashing.catch(() => {});
      const abs = root.absolute(path);
      const read = (at: number) =>
        readFully(handle, at, Math.min(STREAM_CHUNK, listed.size - at), abs);
      let next = listed.size > 0 ? read(0) : undefined;
      for (let at = 0; next !== undefined; ) {
        const data = await next;
        if (data.length === 0) throw changed(this.arena, path, "shrank");
        at += data.length;
        next = at < listed.size ? read(at) : undefined;
        yield { data };
      }
      const hashed = await hashing;
      const after = await handle.stat({ bigint: true });
      if (hashed.size !== listed.size || !sameVersion(versionOf(before), versionOf(after))) {
        throw changed(this.arena, path, "changed while it was read");
      }
      const mode = Number(after.mode) & 0o7777;
      const file = { path, ...versionOf(after), mode, hash: hashed.hash };
      index.recordRead(name, file, hashed.leaves, checkedNs);
      yield { hash: hashed.hash };
    } finally {
      await hashing?.catch(() => {});
      await handle.close();
    }
  }

  /** The file's current version (hashed now if its metadata moved); throws if it is gone. */
  private async current(path: ArenaPath) {
    const stats = await this.arena.root.lstat(path);
    const entry = stats && realEntry(path, stats);
    if (entry?.kind !== "file") throw changed(this.arena, path, "is no longer a file");
    const checked = await this.arena.index.hashIfChanged(this.arena.name, this.arena.root, entry);
    return { entry, hash: checked.hash };
  }

  async leaves(path: ArenaPath, hash: Hash): Promise<Hash[]> {
    const now = await this.current(path);
    if (!now.hash.equals(hash)) throw changed(this.arena, path, "changed");
    const leaves = this.arena.index.leaves(this.arena.name, path);
    if (!leaves) throw changed(this.arena, path, "changed");
    return leaves;
  }

  read(path: ArenaPath, range: ByteRange): AsyncIterable<Uint8Array> {
    return this.arena.root.readChunks(path, range.start, range.length);
  }

  /**
   * Reads the files one after another with blocking calls (each a few µs), letting the
   * event loop run between runs of them. A file that held still while it was read comes
   * with its mtime and hash: its index record's when that still describes it, else the
   * hash of the bytes, which is then recorded.
   */
  async readSmall(paths: readonly ArenaPath[]): Promise<SmallRead[]> {
    const reads: SmallRead[] = [];
    for (const [i, path] of paths.entries()) {
      reads.push(this.readOne(path));
      if (i % READS_PER_TURN === READS_PER_TURN - 1) await new Promise(setImmediate);
    }
    return reads;
  }

  private readOne(path: ArenaPath): SmallRead {
    try {
      const { index, name } = this.arena;
      const checkedNs = index.clock();
      const { data, before, after } = this.arena.root.readWholeSync(path, SMALL_FILE + 1);
      const entry = realEntry(path, after);
      if (entry?.kind !== "file" || !sameVersion(entry, versionOf(before))) {
        return { path: path.text, data };
      }
      if (data.length !== entry.size) return { path: path.text, data };
      const { mtimeNs } = entry;
      const known = index.currentHash(name, entry);
      if (known) return { path: path.text, data, hash: known, mtimeNs };
      const hashed = new MerkleHasher().update(data).digest();
      index.recordRead(name, { ...entry, hash: hashed.hash }, hashed.leaves, checkedNs);
      return { path: path.text, data, hash: hashed.hash, mtimeNs };
    } catch (e) {
      return { path: path.text, error: errorMessage(e) };
    }
  }

  async *delta(
    path: ArenaPath,
    signature: Signature,
    _signal?: AbortSignal,
    ranges?: ByteRanges,
  ): AsyncIterable<DeltaOp[]> {
    const stats = await this.arena.root.lstat(path);
    if (!stats?.isFile()) throw changed(this.arena, path, "is no longer a file");
    let batch: DeltaOp[] = [];
    let bytes = 0;
    const { root } = this.arena;
    const content =
      ranges === undefined
        ? root.readChunks(path, 0, Number(stats.size))
        : spliceChunks(root, path, new SplicedRanges(ranges));
    for await (const op of encodeDelta(signature, content)) {
      batch.push(op);
      if (op.op === "literal") bytes += op.data.length;
      if (bytes >= OPS_BATCH_BYTES || batch.length >= OPS_BATCH_COUNT) {
        yield batch;
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length > 0) yield batch;
  }

  async remove(entry: TreeEntry): Promise<void> {
    const { path } = entry;
    if (entry.kind === "file") {
      const now = await this.current(path);
      if (!entry.hash || !now.hash.equals(entry.hash)) throw changed(this.arena, path, "changed");
      await this.edits.removeFile(path, now.entry);
      this.arena.index.remove(this.arena.name, path);
    } else if (entry.kind === "symlink") {
      const target = await this.arena.root.readLink(path);
      if (target !== entry.target) throw changed(this.arena, path, "was relinked");
      await this.edits.removeFile(path);
    }
  }

  async removeEmptyDirs(dirs: readonly ArenaPath[]): Promise<void> {
    const deepestFirst = [...dirs].sort((a, b) => b.components.length - a.components.length);
    for (const dir of deepestFirst) await this.edits.removeEmptyDir(dir);
  }
}
