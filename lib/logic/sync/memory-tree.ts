import { DeltaEncoder } from "../../delta/delta.ts";
import type { DeltaOp } from "../../delta/delta-op.ts";
import type { DeltaPatcher } from "../../delta/patch.ts";
import { chooseBlockSize, computeSignature, type Signature } from "../../delta/signature.ts";
import { SplicedRanges } from "../../delta/spliced-ranges.ts";
import { hashBytes, LEAF_SIZE, leafCount, MerkleHasher, merkleRoot } from "../../hash/index.ts";
import { ArenaPath } from "../../model/arena-path.ts";
import type { ByteRange } from "../../model/byte-range.ts";
import type { ByteRanges } from "../../model/byte-ranges.ts";
import { RealizeError } from "../../model/errors.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry, TreeEntryKind } from "../../model/tree-entry.ts";
import type {
  HashRead,
  ItemResult,
  ListHashes,
  Listing,
  Reception,
  SmallFile,
  SmallRead,
  StreamPiece,
  TreeDestination,
  TreeSource,
} from "./endpoints.ts";
import { spliceBlock } from "./local-destination.ts";
import { MemoryPartial } from "./memory-partial.ts";

/** One path of a memory tree. */
export interface MemoryNode {
  kind: TreeEntryKind;
  mtimeNs: bigint;
  mode: number;
  data?: Uint8Array;
  target?: string;
  /** Hash and leaves of `data`, computed once (nodes are replaced, never edited). */
  hash?: Hash;
  leaves?: Hash[];
}

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

const READ_PIECE = LEAF_SIZE;

/** The bytes of `data` over the ranges of `splice`, laid end to end. */
function spliced(data: Uint8Array, splice: SplicedRanges): Uint8Array {
  return Buffer.concat(
    splice.all().map((p) => data.subarray(p.fileOffset, p.fileOffset + p.length)),
  );
}
const MODE_BITS = 0o777;
const DEFAULT_MTIME = 1_000_000_000n;
type Meta = { mtimeNs?: bigint; mode?: number };

function mismatch(path: ArenaPath, what: string): RealizeError {
  return new RealizeError("hash_mismatch", `${path.text} ${what}; sync it again`, {
    path: path.text,
  });
}

/**
 * A whole arena tree held in memory, as both ends of a transfer: a TreeSource and a
 * TreeDestination with the contracts of endpoints.ts, for tests of the engine and of the
 * protocol. Incoming files live in partials that are never listed; a commit verifies the
 * whole hash before the file shows. `begin` reuses what an earlier partial holds and what
 * the current file shares, leaf by leaf. Nothing is ever written through a symlink.
 */
export class MemoryTree implements TreeSource, TreeDestination {
  readonly nodes = new Map<string, MemoryNode>();
  /** Partials by target path: left by an aborted or interrupted reception, resumed later. */
  readonly partials = new Map<string, MemoryPartial>();
  readonly stats: MemoryTreeStats = { written: 0, small: 0, literal: 0, committed: 0 };
  /** Test hook: runs after each listing is taken, before it is returned. */
  afterList?: () => void;
  /** Test hook: runs after each `write` landed. */
  afterWrite?: (path: string, offset: number, length: number) => void;
  private readonly open = new Map<number, OpenFile>();
  private nextToken = 1;

  /** Puts a file (and its missing parent directories); the set* helpers build test trees. */
  setFile(path: string, data: Uint8Array, meta: Meta = {}): void {
    const node = { kind: "file", data: Uint8Array.from(data), mode: 0o644 } as const;
    this.place(ArenaPath.parse(path), { mtimeNs: DEFAULT_MTIME, ...node, ...meta });
  }

  setDir(path: string, meta: Meta = {}): void {
    this.place(ArenaPath.parse(path), {
      kind: "dir",
      mtimeNs: DEFAULT_MTIME,
      mode: 0o755,
      ...meta,
    });
  }

  setLink(path: string, target: string, meta: Meta = {}): void {
    const node = { kind: "symlink", target, mtimeNs: meta.mtimeNs ?? DEFAULT_MTIME } as const;
    this.place(ArenaPath.parse(path), { ...node, mode: 0o777 });
  }

  /** The content of a file, or undefined. */
  content(path: string): Uint8Array | undefined {
    return this.nodes.get(path)?.data;
  }

  /** Every entry, sorted by path: what two trees compare equal by. */
  snapshot(): TreeEntry[] {
    const all = [...this.nodes.keys()].map((text) => this.entry(ArenaPath.parse(text)));
    return all.sort((a, b) => ArenaPath.compare(a.path, b.path));
  }

  /** With `hashes` "known", files are listed without hashes (as by a peer whose index is new). */
  async list(scope: readonly ArenaPath[], hashes: ListHashes = "all"): Promise<Listing> {
    const roots = scope.length === 0 ? undefined : scope;
    const entries = [...this.nodes.keys()]
      .map((text) => ArenaPath.parse(text))
      .filter((p) => this.reachable(p) && (!roots || roots.some((r) => p.isWithin(r))))
      .map((p) => this.entry(p));
    if (hashes === "known") for (const e of entries) delete e.hash;
    this.afterList?.();
    return { entries, failures: [] };
  }

  async hashes(paths: readonly ArenaPath[]): Promise<HashRead[]> {
    return paths.map((path) => {
      const node = this.nodes.get(path.text);
      if (node?.kind !== "file" || !node.hash) {
        return { path: path.text, error: `${path.text} is not a file any more` };
      }
      const size = node.data?.length ?? 0;
      return { path: path.text, hash: node.hash, size, mtimeNs: node.mtimeNs };
    });
  }

  async *stream(
    path: ArenaPath,
    listed: { size: number; mtimeNs: bigint },
  ): AsyncIterable<StreamPiece> {
    const node = this.fileAt(path);
    const data = node.data ?? new Uint8Array();
    if (data.length !== listed.size || node.mtimeNs !== listed.mtimeNs) {
      throw mismatch(path, "changed since it was listed");
    }
    for (let at = 0; at < data.length; at += READ_PIECE) {
      yield { data: data.subarray(at, at + READ_PIECE) };
    }
    yield { hash: node.hash ?? hashBytes(data) };
  }

  async leaves(path: ArenaPath, hash: Hash): Promise<Hash[]> {
    const node = this.fileAt(path);
    if (!node.hash?.equals(hash)) throw mismatch(path, "changed since it was listed");
    node.leaves ??= new MerkleHasher().update(node.data ?? new Uint8Array()).digest().leaves;
    return node.leaves;
  }

  async *read(path: ArenaPath, range: ByteRange): AsyncIterable<Uint8Array> {
    const data = this.fileAt(path).data ?? new Uint8Array();
    const end = Math.min(range.end, data.length);
    for (let at = range.start; at < end; at += READ_PIECE) {
      yield data.subarray(at, Math.min(end, at + READ_PIECE));
    }
  }

  async readSmall(paths: readonly ArenaPath[]): Promise<SmallRead[]> {
    return paths.map((path) => {
      const node = this.nodes.get(path.text);
      return node?.kind === "file" && node.data
        ? { path: path.text, data: node.data, hash: node.hash, mtimeNs: node.mtimeNs }
        : { path: path.text, error: `${path.text} is not a file any more` };
    });
  }

  async *delta(
    path: ArenaPath,
    signature: Signature,
    _signal?: AbortSignal,
    ranges?: ByteRanges,
  ): AsyncIterable<DeltaOp[]> {
    const whole = this.fileAt(path).data ?? new Uint8Array();
    const data = ranges === undefined ? whole : spliced(whole, new SplicedRanges(ranges));
    const encoder = new DeltaEncoder(signature);
    for (let at = 0; at < data.length; at += READ_PIECE) {
      const ops = encoder.update(data.subarray(at, at + READ_PIECE));
      if (ops.length > 0) yield ops;
    }
    const last = encoder.finish();
    if (last.length > 0) yield last;
  }

  async remove(entry: TreeEntry): Promise<void> {
    const node = this.nodes.get(entry.path.text);
    if (!node) return;
    const same =
      node.kind === entry.kind &&
      (node.kind === "file"
        ? entry.hash !== undefined && node.hash?.equals(entry.hash) === true
        : node.kind === "symlink" && node.target === entry.target);
    if (!same) throw mismatch(entry.path, "changed since it was copied; it is kept");
    this.nodes.delete(entry.path.text);
  }

  async removeEmptyDirs(dirs: readonly ArenaPath[]): Promise<void> {
    const deepest = [...dirs].sort((a, b) => b.components.length - a.components.length);
    for (const dir of deepest) {
      if (this.nodes.get(dir.text)?.kind !== "dir") continue;
      const inside = (key: string) => key.startsWith(`${dir.text}/`);
      if ([...this.nodes.keys()].some(inside) || [...this.partials.keys()].some(inside)) continue;
      this.nodes.delete(dir.text);
    }
  }

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

  private entry(path: ArenaPath): TreeEntry {
    const node = this.nodes.get(path.text)!;
    const size =
      node.kind === "symlink" ? Buffer.byteLength(node.target ?? "") : (node.data?.length ?? 0);
    const entry: TreeEntry = {
      path,
      kind: node.kind,
      size,
      mtimeNs: node.mtimeNs,
      mode: node.mode,
    };
    if (node.kind === "file") entry.hash = node.hash;
    if (node.kind === "symlink") entry.target = node.target;
    return entry;
  }

  /** True when every parent of `path` is a directory (a listing never goes through a link). */
  private reachable(path: ArenaPath): boolean {
    for (let dir = path.parent(); dir; dir = dir.parent()) {
      if (this.nodes.get(dir.text)?.kind !== "dir") return false;
    }
    return true;
  }

  /** Refuses a path whose parent chain has a symlink or file, or that is a directory. */
  private checkWritable(path: ArenaPath): void {
    for (let dir = path.parent(); dir; dir = dir.parent()) {
      const node = this.nodes.get(dir.text);
      if (node && node.kind !== "dir") throw this.inTheWay(dir, node, path);
    }
    const node = this.nodes.get(path.text);
    if (node?.kind === "dir") throw this.inTheWay(path, node);
  }

  private inTheWay(at: ArenaPath, node: MemoryNode, forPath = at): RealizeError {
    return new RealizeError(
      "bad_path",
      `refusing ${forPath.text}: a ${node.kind} is in the way at ${at.text}`,
      {
        path: forPath.text,
      },
    );
  }

  private place(path: ArenaPath, node: MemoryNode): void {
    this.checkWritable(path);
    for (let dir = path.parent(); dir; dir = dir.parent()) {
      if (!this.nodes.has(dir.text))
        this.nodes.set(dir.text, { kind: "dir", mtimeNs: node.mtimeNs, mode: 0o755 });
    }
    if (node.kind === "file") node.hash = hashBytes(node.data ?? new Uint8Array());
    this.nodes.set(path.text, node);
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

  private fileAt(path: ArenaPath): MemoryNode {
    const node = this.nodes.get(path.text);
    if (node?.kind !== "file" || !this.reachable(path)) {
      throw new RealizeError("not_found", `${path.text} is not a file any more`, {
        path: path.text,
      });
    }
    return node;
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
