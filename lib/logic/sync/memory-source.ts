import { DeltaEncoder } from "../../delta/delta.ts";
import type { DeltaOp } from "../../delta/delta-op.ts";
import type { Signature } from "../../delta/signature.ts";
import { SplicedRanges } from "../../delta/spliced-ranges.ts";
import { hashBytes, LEAF_SIZE, MerkleHasher } from "../../hash/index.ts";
import { ArenaPath } from "../../model/arena-path.ts";
import type { ByteRange } from "../../model/byte-range.ts";
import type { ByteRanges } from "../../model/byte-ranges.ts";
import { RealizeError } from "../../model/errors.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry, TreeEntryKind } from "../../model/tree-entry.ts";
import type {
  HashRead,
  ListHashes,
  Listing,
  SmallRead,
  StreamPiece,
  TreeSource,
} from "./endpoints.ts";
import type { MemoryPartial } from "./memory-partial.ts";

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

const READ_PIECE = LEAF_SIZE;

/** The bytes of `data` over the ranges of `splice`, laid end to end. */
export function spliced(data: Uint8Array, splice: SplicedRanges): Uint8Array {
  return Buffer.concat(
    splice.all().map((p) => data.subarray(p.fileOffset, p.fileOffset + p.length)),
  );
}

const DEFAULT_MTIME = 1_000_000_000n;
type Meta = { mtimeNs?: bigint; mode?: number };

/** The error of a file that is not (or no longer) what it was listed or copied as. */
export function mismatch(path: ArenaPath, what: string): RealizeError {
  return new RealizeError("hash_mismatch", `${path.text} ${what}; sync it again`, {
    path: path.text,
  });
}

/**
 * A whole arena tree held in memory as a TreeSource with the contracts of endpoints.ts, for
 * tests of the engine and of the protocol; the set* helpers build it. A listing never goes
 * through a symlink. MemoryTree adds the destination side.
 */
export class MemorySource implements TreeSource {
  readonly nodes = new Map<string, MemoryNode>();
  /** Partials by target path: left by an aborted or interrupted reception, resumed later. */
  readonly partials = new Map<string, MemoryPartial>();
  /** Test hook: runs after each listing is taken, before it is returned. */
  afterList?: () => void;

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
  protected checkWritable(path: ArenaPath): void {
    for (let dir = path.parent(); dir; dir = dir.parent()) {
      const node = this.nodes.get(dir.text);
      if (node && node.kind !== "dir") throw this.inTheWay(dir, node, path);
    }
    const node = this.nodes.get(path.text);
    if (node?.kind === "dir") throw this.inTheWay(path, node);
  }

  protected inTheWay(at: ArenaPath, node: MemoryNode, forPath = at): RealizeError {
    return new RealizeError(
      "bad_path",
      `refusing ${forPath.text}: a ${node.kind} is in the way at ${at.text}`,
      {
        path: forPath.text,
      },
    );
  }

  protected place(path: ArenaPath, node: MemoryNode): void {
    this.checkWritable(path);
    for (let dir = path.parent(); dir; dir = dir.parent()) {
      if (!this.nodes.has(dir.text))
        this.nodes.set(dir.text, { kind: "dir", mtimeNs: node.mtimeNs, mode: 0o755 });
    }
    if (node.kind === "file") node.hash = hashBytes(node.data ?? new Uint8Array());
    this.nodes.set(path.text, node);
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
}
