import type { DeltaOp } from "../../delta/delta-op.ts";
import { DeltaPatcher } from "../../delta/patch.ts";
import { chooseBlockSize, computeSignature, type Signature } from "../../delta/signature.ts";
import { SplicedRanges } from "../../delta/spliced-ranges.ts";
import { ArenaPath } from "../../model/arena-path.ts";
import { ByteRange } from "../../model/byte-range.ts";
import { ByteRanges } from "../../model/byte-ranges.ts";
import { errorMessage, isRealizeError, RealizeError } from "../../model/errors.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import { DurableBatch } from "../../storage/durable-batch.ts";
import { IGNORE_FILE, IgnoreRules } from "../../storage/ignore-rules.ts";
import { RACY_WINDOW_NS } from "../../storage/index-db.ts";
import { PartialFile } from "../../storage/partial-file.ts";
import { RealEdits } from "../../storage/real-edits.ts";
import { type RealEntry, realEntry } from "../../storage/real-entry.ts";
import type { ItemResult, Listing, Reception, SmallFile, TreeDestination } from "./endpoints.ts";
import { type LocalArena, listLocalTree } from "./local-tree.ts";
import { readSpliced, spliceChunks } from "./splice-reads.ts";

interface Open {
  entry: TreeEntry;
  leaves: readonly Hash[];
  partial: PartialFile;
  baseSize: number;
  blockSize?: number;
  /** For a delta over some ranges: where its base and its output lie in the two files. */
  splice?: { base: SplicedRanges; output: SplicedRanges };
  patcher?: DeltaPatcher;
}

/** Smallest block size of a delta over some ranges (they often hold small edits). */
const SPLICE_BLOCK = 2048;

/** Block size of a delta over ranges whose base bytes total `length`: as for a whole file, at least SPLICE_BLOCK. */
export function spliceBlock(length: number): number {
  return Math.max(SPLICE_BLOCK, chooseBlockSize(length));
}

/** Runs `work` on each entry; a failure is that entry's result, never an exception. */
async function each(
  entries: readonly TreeEntry[],
  work: (entry: TreeEntry) => Promise<unknown>,
): Promise<ItemResult[]> {
  const results: ItemResult[] = [];
  for (const entry of entries) {
    try {
      await work(entry);
      results.push({ path: entry.path.text });
    } catch (e) {
      results.push({ path: entry.path.text, error: errorMessage(e) });
    }
  }
  return results;
}

/**
 * An arena root of this peer as the destination of a pull (or of a peer's push). Content
 * only ever lands in `.NAME.realize-partial` files and reaches its real name by an atomic
 * rename after its Merkle root verified (storage/partial-file.ts), so a crash or a bad
 * peer leaves every file old or new. Received files are recorded in the index with their
 * leaves, so the next listing need not read them again.
 */
export class LocalDestination implements TreeDestination {
  private readonly edits: RealEdits;
  private readonly open = new Map<number, Open>();
  private nextToken = 1;
  /** This peer's ignore rules as the job found them (read when it lists). */
  private rules: IgnoreRules | undefined;

  constructor(private readonly arena: LocalArena) {
    this.edits = new RealEdits(arena.root);
  }

  async list(scope: readonly ArenaPath[]): Promise<Listing> {
    this.rules = await IgnoreRules.load(this.arena.root);
    return listLocalTree(this.arena, scope);
  }

  /**
   * Refuses a path this peer's `.realizeignore` ignores: such paths are not listed here,
   * so whatever the source has there must not overwrite what this peer keeps out of sync.
   */
  private async notIgnored(path: ArenaPath, isDir: boolean): Promise<void> {
    this.rules ??= await IgnoreRules.load(this.arena.root);
    if (!this.rules.ignoresWithin(path, isDir)) return;
    throw new RealizeError(
      "refused",
      `${JSON.stringify(path.text)} is ignored by ${this.arena.root.absolute(ArenaPath.parse(IGNORE_FILE))} on the receiving peer; it is neither received nor overwritten there`,
      { path: path.text },
    );
  }

  makeDirs(entries: readonly TreeEntry[]): Promise<ItemResult[]> {
    return each(entries, async (e) => {
      await this.notIgnored(e.path, true);
      await this.edits.makeDir(e.path);
    });
  }

  makeLinks(entries: readonly TreeEntry[]): Promise<ItemResult[]> {
    return each(entries, async (e) => {
      await this.notIgnored(e.path, false);
      if (e.target === undefined)
        throw new RealizeError("protocol", `symlink ${e.path.text} has no target`);
      await this.edits.placeSymlink(e.path, e.target, e.mtimeNs);
      this.arena.index.remove(this.arena.name, e.path);
    });
  }

  setMeta(entries: readonly TreeEntry[]): Promise<ItemResult[]> {
    return each(entries, async (e) => {
      const known = this.arena.index.lookup(this.arena.name, e.path);
      const leaves = this.arena.index.leaves(this.arena.name, e.path);
      const done = await this.edits.setMeta(e.path, e.kind, { mtimeNs: e.mtimeNs, mode: e.mode });
      if (known && leaves && e.hash && known.hash.equals(e.hash)) this.record(done, e.hash, leaves);
    });
  }

  async writeSmall(files: readonly SmallFile[]): Promise<ItemResult[]> {
    const batch = new DurableBatch(this.arena.root);
    const results: ItemResult[] = [];
    for (const { entry, data } of files) {
      try {
        if (!entry.hash) throw new RealizeError("protocol", `file ${entry.path.text} has no hash`);
        await this.notIgnored(entry.path, false);
        batch.add({
          target: entry.path,
          data,
          expected: { hash: entry.hash, size: entry.size },
          meta: entry,
        });
      } catch (e) {
        results.push({ path: entry.path.text, error: errorMessage(e) });
      }
    }
    const committed = await batch.commit();
    this.arena.index.transaction(() => {
      for (const r of committed) {
        if (r.error) results.push({ path: r.path.text, error: r.error.message });
        else {
          this.record(r.entry, r.hashed.hash, r.hashed.leaves);
          results.push({ path: r.path.text });
        }
      }
    });
    return results;
  }

  async begin(entry: TreeEntry, leaves?: readonly Hash[]): Promise<Reception> {
    if (leaves !== undefined && !entry.hash) {
      throw new RealizeError("protocol", `file ${entry.path.text} has no hash`);
    }
    await this.notIgnored(entry.path, false);
    const stats = await this.arena.root.lstat(entry.path);
    const base = stats && realEntry(entry.path, stats);
    const baseSize = base?.kind === "file" ? base.size : 0;
    const partial = await PartialFile.open(this.arena.root, entry.path);
    try {
      let need: ByteRanges;
      let resumable = false;
      if (leaves === undefined) {
        resumable = (await partial.size()) > 0;
        need = entry.size > 0 ? ByteRanges.of(new ByteRange(0, entry.size)) : ByteRanges.of();
      } else {
        const known =
          base?.kind === "file" ? this.arena.index.current(this.arena.name, base) : undefined;
        need = await partial.resume(
          { size: entry.size, leaves },
          { reuseTarget: baseSize > 0, base: known && base && { ...base, leaves: known.leaves } },
        );
      }
      const token = this.nextToken++;
      this.open.set(token, { entry, leaves: leaves ?? [], partial, baseSize });
      return resumable
        ? { token, need, hasBase: baseSize > 0, resumable }
        : { token, need, hasBase: baseSize > 0 };
    } catch (e) {
      await partial.close().catch(() => {});
      throw e;
    }
  }

  private reception(token: number): Open {
    const r = this.open.get(token);
    if (!r) throw new RealizeError("protocol", `no open file for transfer token ${token}`);
    return r;
  }

  async write(token: number, offset: number, data: Uint8Array): Promise<void> {
    const r = this.reception(token);
    if (offset + data.length > r.entry.size) {
      throw new RealizeError(
        "protocol",
        `a write past the end of ${r.entry.path.text} was refused`,
      );
    }
    await r.partial.write(offset, data);
  }

  async signature(token: number, ranges?: ByteRanges): Promise<Signature> {
    const r = this.reception(token);
    const { root } = this.arena;
    if (ranges === undefined) {
      r.blockSize = chooseBlockSize(r.baseSize);
      r.splice = undefined;
      return computeSignature(root.readChunks(r.entry.path, 0, r.baseSize), r.blockSize);
    }
    const last = ranges.ranges[ranges.ranges.length - 1];
    if (last !== undefined && last.end > r.entry.size) {
      throw new RealizeError("protocol", `a delta of ${r.entry.path.text} past its end`);
    }
    const output = new SplicedRanges(ranges);
    const base = output.clip(r.baseSize);
    r.blockSize = spliceBlock(base.length);
    r.splice = { base, output };
    return computeSignature(spliceChunks(root, r.entry.path, base), SPLICE_BLOCK);
  }

  async patch(token: number, ops: readonly DeltaOp[]): Promise<void> {
    const r = this.reception(token);
    if (r.blockSize === undefined) {
      throw new RealizeError(
        "protocol",
        `a delta for ${r.entry.path.text} came before its signature`,
      );
    }
    r.patcher ??= this.patcher(r, r.blockSize);
    for (const op of ops) await r.patcher.apply(op);
  }

  /** The patcher of a reception: of the whole file, or of the ranges given to `signature`. */
  private patcher(r: Open, blockSize: number): DeltaPatcher {
    const { root } = this.arena;
    const path = r.entry.path;
    const splice = r.splice;
    if (splice === undefined) {
      return new DeltaPatcher(
        { blockSize, fileSize: r.baseSize },
        (offset, length) => root.readRange(path, offset, length),
        (offset, data) => r.partial.write(offset, data),
        { expectedSize: r.entry.size },
      );
    }
    return new DeltaPatcher(
      { blockSize, fileSize: splice.base.length },
      (offset, length) => readSpliced(root, path, splice.base, offset, length),
      async (offset, data) => {
        const writes = splice.output
          .pieces(offset, data.length)
          .map((p) =>
            r.partial.write(
              p.fileOffset,
              data.subarray(p.offset - offset, p.offset - offset + p.length),
            ),
          );
        await Promise.all(writes);
      },
      { expectedSize: splice.output.length },
    );
  }

  async commit(token: number, sealed?: Hash): Promise<void> {
    const r = this.reception(token);
    this.open.delete(token);
    const { entry } = r;
    const hash = entry.hash ?? sealed;
    try {
      if (!hash) throw new RealizeError("protocol", `file ${entry.path.text} has no hash`);
      if (sealed && entry.hash && !sealed.equals(entry.hash)) {
        throw new RealizeError("protocol", `two hashes were given for ${entry.path.text}`);
      }
      if (r.patcher) r.patcher.finish();
      await r.partial.truncate(entry.size);
      const done = await r.partial.commit({ hash, size: entry.size, leaves: r.leaves }, entry);
      this.record(done, hash, r.partial.leaves ?? r.leaves);
    } catch (e) {
      await r.partial.close().catch(() => {});
      throw isRealizeError(e)
        ? e
        : new RealizeError("io", errorMessage(e), { path: entry.path.text }, e);
    }
  }

  async abort(token: number, keep: boolean): Promise<void> {
    const r = this.open.get(token);
    if (!r) return;
    this.open.delete(token);
    // A partial that holds nothing is not worth keeping for a resume.
    if (keep && (await r.partial.size()) > 0) await r.partial.close();
    else await r.partial.abort();
  }

  async release(): Promise<void> {
    const open = [...this.open.values()];
    this.open.clear();
    await Promise.all(open.map((r) => r.partial.close().catch(() => {})));
  }

  /**
   * Records a file this destination wrote and verified itself. Its content is known
   * exactly, so the record is trusted at once (not held back by the racy-timestamp window
   * meant for files edited by others).
   */
  private record(done: RealEntry, hash: Hash, leaves: readonly Hash[]): void {
    this.arena.index.record(
      this.arena.name,
      {
        path: done.path,
        size: done.size,
        mtimeNs: done.mtimeNs,
        ino: done.ino,
        ctimeNs: done.ctimeNs,
        mode: done.mode,
        hash,
      },
      leaves,
      done.ctimeNs + RACY_WINDOW_NS,
    );
  }
}
