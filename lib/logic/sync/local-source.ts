import { encodeDelta } from "../../delta/delta.ts";
import type { DeltaOp } from "../../delta/delta-op.ts";
import type { Signature } from "../../delta/signature.ts";
import type { ArenaPath } from "../../model/arena-path.ts";
import type { ByteRange } from "../../model/byte-range.ts";
import { RealizeError } from "../../model/errors.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import { RealEdits } from "../../storage/real-edits.ts";
import { realEntry } from "../../storage/real-entry.ts";
import { readFully } from "../../storage/real-root.ts";
import type { Listing, SmallRead, TreeSource } from "./endpoints.ts";
import { type LocalArena, listLocalTree } from "./local-tree.ts";

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

  list(scope: readonly ArenaPath[]): Promise<Listing> {
    return listLocalTree(this.arena, scope);
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

  async readSmall(paths: readonly ArenaPath[]): Promise<SmallRead[]> {
    return Promise.all(
      paths.map(async (path): Promise<SmallRead> => {
        try {
          const { handle, stats } = await this.arena.root.openReadStat(path);
          try {
            const size = Number(stats.size);
            const data = await readFully(handle, 0, size, this.arena.root.absolute(path));
            return { path: path.text, data };
          } finally {
            await handle.close();
          }
        } catch (e) {
          return { path: path.text, error: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
  }

  async *delta(path: ArenaPath, signature: Signature): AsyncIterable<DeltaOp[]> {
    const stats = await this.arena.root.lstat(path);
    if (!stats?.isFile()) throw changed(this.arena, path, "is no longer a file");
    let batch: DeltaOp[] = [];
    let bytes = 0;
    const content = this.arena.root.readChunks(path, 0, Number(stats.size));
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
