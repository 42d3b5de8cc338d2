import type { DeltaOp } from "../../delta/delta-op.ts";
import type { DeltaPatcher } from "../../delta/patch.ts";
import { chooseBlockSize, computeSignature, type Signature } from "../../delta/signature.ts";
import { SplicedRanges } from "../../delta/spliced-ranges.ts";
import { hashBytes, leafCount, merkleRoot } from "../../hash/index.ts";
import type { ArenaPath } from "../../model/arena-path.ts";
import type { ByteRanges } from "../../model/byte-ranges.ts";
import { RealizeError } from "../../model/errors.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import type { ItemResult, Reception, SmallFile, TreeDestination, TreeSource } from "./endpoints.ts";
import { spliceBlock } from "./local-destination.ts";
import { MemoryPartial } from "./memory-partial.ts";
import { MemorySource, mismatch, spliced } from "./memory-source.ts";

/** What crossed into a memory tree as a destination: for tests to check what was sent. */
export interface MemoryTreeStats {
  /** Bytes received by `write`. */
  written: number;
  /** Bytes received whole by `writeSmall`. */
  small: number;
  /** Literal bytes received by `patch`. */
  literal: number;
  /** Files committed (by `commit` or `writeSmall`). */
  committed: number;
}

interface OpenFile {
  entry: TreeEntry;
  leaves: readonly Hash[];
  base?: { data: Uint8Array; blockSize: number; output?: SplicedRanges };
  patcher?: DeltaPatcher;
}

const MODE_BITS = 0o777;

/**
 * A whole arena tree held in memory, as both ends of a transfer: a TreeSource and a
 * TreeDestination with the contracts of endpoints.ts, for tests of the engine and of the
 * protocol. Incoming files live in partials that are never listed; a commit verifies the
 * whole hash before the file shows. `begin` reuses what an earlier partial holds and what
 * the current file shares, leaf by leaf. Nothing is ever written through a symlink.
 */
export class MemoryTree extends MemorySource implements TreeSource, TreeDestination {
  readonly stats: MemoryTreeStats = { written: 0, small: 0, literal: 0, committed: 0 };
  /** Test hook: runs after each `write` landed. */
  afterWrite?: (path: string, offset: number, length: number) => void;
  private readonly open = new Map<number, OpenFile>();
  private nextToken = 1;

  async makeDirs(entries: readonly TreeEntry[]): Promise<ItemResult[]> {
    return entries.map((e) =>
      this.attempt(e.path, () => {
        const node = this.nodes.get(e.path.text);
        if (node?.kind === "dir") return;
        if (node) throw this.inTheWay(e.path, node);
        this.place(e.path, { kind: "dir", mtimeNs: e.mtimeNs, mode: e.mode & MODE_BITS });
      }),
    );
  }

  async makeLinks(entries: readonly TreeEntry[]): Promise<ItemResult[]> {
    return entries.map((e) =>
      this.attempt(e.path, () => {
        const node = this.nodes.get(e.path.text);
        if (node?.kind === "dir") throw this.inTheWay(e.path, node);
        this.place(e.path, { kind: "symlink", target: e.target, mtimeNs: e.mtimeNs, mode: 0o777 });
      }),
    );
  }

  async setMeta(entries: readonly TreeEntry[]): Promise<ItemResult[]> {
    return entries.map((e) =>
      this.attempt(e.path, () => {
        const node = this.nodes.get(e.path.text);
        if (e.kind === "dir" && node?.kind === "dir") {
          this.nodes.set(e.path.text, { ...node, mtimeNs: e.mtimeNs, mode: e.mode & MODE_BITS });
          return;
        }
        if (node?.kind !== "file" || !e.hash || !node.hash?.equals(e.hash)) {
          throw mismatch(e.path, "does not hold the listed content");
        }
        this.nodes.set(e.path.text, { ...node, mtimeNs: e.mtimeNs, mode: e.mode & MODE_BITS });
      }),
    );
  }

  async writeSmall(files: readonly SmallFile[]): Promise<ItemResult[]> {
    return files.map(({ entry, data }) =>
      this.attempt(entry.path, () => {
        if (!entry.hash || data.length !== entry.size || !hashBytes(data).equals(entry.hash)) {
          throw mismatch(entry.path, "arrived with other content than listed");
        }
        this.commitFile(entry, Uint8Array.from(data));
        this.stats.small += data.length;
      }),
    );
  }

  async begin(entry: TreeEntry, leaves?: readonly Hash[]): Promise<Reception> {
    const { path, size, hash } = entry;
    if (entry.kind !== "file" || (leaves !== undefined && !hash)) {
      throw new RealizeError("protocol", `${path.text} is not a file with a hash`);
    }
    if (leaves === undefined) return this.beginStream(entry);
    if (leaves.length !== leafCount(size) || !merkleRoot(leaves, size).equals(hash!)) {
      throw new RealizeError("protocol", `the leaves sent for ${path.text} do not give its hash`);
    }
    this.checkWritable(path);
    const current = this.nodes.get(path.text);
    const base = current?.kind === "file" ? current.data : undefined;
    const partial = MemoryPartial.open(size, leaves, this.partials.get(path.text), base);
    this.partials.set(path.text, partial);
    const token = this.nextToken++;
    this.open.set(token, { entry, leaves });
    return { token, need: partial.need(), hasBase: base !== undefined && base.length > 0 };
  }

  /** A reception begun without leaves: a fresh partial, unless an earlier one holds bytes. */
  private beginStream(entry: TreeEntry): Reception {
    this.checkWritable(entry.path);
    const current = this.nodes.get(entry.path.text);
    const hasBase = current?.kind === "file" && (current.data?.length ?? 0) > 0;
    const earlier = this.partials.get(entry.path.text);
    const token = this.nextToken++;
    this.open.set(token, { entry, leaves: [] });
    if (earlier && !earlier.have.isEmpty) {
      return { token, need: earlier.need(), hasBase, resumable: true };
    }
    const partial = MemoryPartial.open(entry.size, [], undefined, undefined);
    this.partials.set(entry.path.text, partial);
    return { token, need: partial.need(), hasBase };
  }

  async write(token: number, offset: number, data: Uint8Array): Promise<void> {
    const { entry } = this.opened(token);
    this.partialOf(entry).put(offset, data);
    this.stats.written += data.length;
    this.afterWrite?.(entry.path.text, offset, data.length);
  }

  async signature(token: number, ranges?: ByteRanges): Promise<Signature> {
    const file = this.opened(token);
    const current = this.nodes.get(file.entry.path.text);
    if (current?.kind !== "file" || !current.data) {
      throw new RealizeError("not_found", `${file.entry.path.text} has no base to sign`);
    }
    if (ranges !== undefined) {
      const output = new SplicedRanges(ranges);
      const data = spliced(current.data, output.clip(current.data.length));
      const blockSize = spliceBlock(data.length);
      file.base = { data, blockSize, output };
      return computeSignature([data], blockSize);
    }
    const blockSize = chooseBlockSize(current.data.length);
    file.base = { data: current.data, blockSize };
    return computeSignature([current.data], blockSize);
  }

  async patch(token: number, ops: readonly DeltaOp[]): Promise<void> {
    const file = this.opened(token);
    const { base, entry } = file;
    if (!base) {
      throw new RealizeError("protocol", `a patch of ${entry.path.text} before its signature`);
    }
    file.patcher ??= this.partialOf(entry).patcher(base.data, base.blockSize, base.output);
    for (const op of ops) {
      await file.patcher.apply(op);
      if (op.op === "literal") this.stats.literal += op.data.length;
    }
  }

  async commit(token: number, sealed?: Hash): Promise<void> {
    const file = this.opened(token);
    const entry = file.entry.hash || !sealed ? file.entry : { ...file.entry, hash: sealed };
    file.patcher?.finish();
    const partial = this.partialOf(entry);
    if (!partial.verify(entry, file.leaves)) {
      throw mismatch(entry.path, "did not arrive as listed (it changed at the source)");
    }
    this.checkWritable(entry.path);
    this.commitFile(entry, partial.data);
    this.partials.delete(entry.path.text);
    this.open.delete(token);
  }

  /** Closes the reception; unknown or already closed tokens are ignored. */
  async abort(token: number, keep: boolean): Promise<void> {
    const file = this.open.get(token);
    if (!file) return;
    this.open.delete(token);
    const empty = this.partials.get(file.entry.path.text)?.have.isEmpty !== false;
    if (!keep || empty) this.partials.delete(file.entry.path.text);
  }

  async release(): Promise<void> {
    this.open.clear();
  }

  /** Number of receptions open now. */
  get openFiles(): number {
    return this.open.size;
  }

  private commitFile(entry: TreeEntry, data: Uint8Array): void {
    this.place(entry.path, {
      kind: "file",
      data,
      mtimeNs: entry.mtimeNs,
      mode: entry.mode & MODE_BITS,
    });
    this.stats.committed++;
  }

  private attempt(path: ArenaPath, work: () => void): ItemResult {
    try {
      work();
      return { path: path.text };
    } catch (error) {
      return { path: path.text, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private opened(token: number): OpenFile {
    const file = this.open.get(token);
    if (!file) throw new RealizeError("protocol", `no open file with token ${token}`, { token });
    return file;
  }

  private partialOf(entry: TreeEntry): MemoryPartial {
    const partial = this.partials.get(entry.path.text);
    if (!partial) throw new RealizeError("not_found", `the partial of ${entry.path.text} is gone`);
    return partial;
  }
}
