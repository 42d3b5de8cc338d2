import { signatureToWire } from "../../delta/check-signature.ts";
import type { DeltaOp } from "../../delta/delta-op.ts";
import type { Signature } from "../../delta/signature.ts";
import type { ArenaPath } from "../../model/arena-path.ts";
import type { ByteRange } from "../../model/byte-range.ts";
import type { ByteRanges } from "../../model/byte-ranges.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import { syncMethods as m, type SyncCaller } from "../../network/sync-protocol.ts";
import { batchBySize, textWireSize } from "../../network/sync-wire.ts";
import type {
  HashRead,
  ListHashes,
  Listing,
  SmallRead,
  StreamPiece,
  TreeSource,
} from "./endpoints.ts";
import { peerFault, RemoteSession } from "./remote-session.ts";

/**
 * The source side of a pull: each call goes to arena `arena` on the peer at the other end
 * of `connection`, whose service answers with its local source. Paging, staging and
 * batching stay inside; what the peer sends is validated by the protocol's codecs, and
 * answers that do not fit the question are refused as "protocol".
 */
export class RemoteSource implements TreeSource {
  private readonly session: RemoteSession;

  constructor(connection: SyncCaller, arena: string) {
    this.session = new RemoteSession(connection, arena, "source");
  }

  list(scope: readonly ArenaPath[], hashes?: ListHashes): Promise<Listing> {
    return this.session.list(scope, hashes);
  }

  /** Asks in parts of bounded size; answers must name exactly the files asked for. */
  async hashes(paths: readonly ArenaPath[]): Promise<HashRead[]> {
    const out: HashRead[] = [];
    for (const ask of batchBySize(paths, (p) => textWireSize(p.text))) {
      const got = await this.session.call(m.hashes, { paths: ask });
      if (got.length !== ask.length || got.some((r, i) => r.path !== ask[i]!.text)) {
        throw peerFault(this.session.arena, "sync.hashes answered for other files");
      }
      out.push(...got);
    }
    return out;
  }

  async *stream(
    path: ArenaPath,
    listed: { size: number; mtimeNs: bigint },
    signal?: AbortSignal,
  ): AsyncIterable<StreamPiece> {
    const args = { path, size: listed.size, mtime: listed.mtimeNs };
    yield* this.session.stream(m.stream, args, { signal });
  }

  async leaves(path: ArenaPath, hash: Hash): Promise<Hash[]> {
    const leaves: Hash[] = [];
    for await (const page of this.session.stream(m.leaves, { path, hash })) leaves.push(...page);
    return leaves;
  }

  async *read(path: ArenaPath, range: ByteRange, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    const args = { path, start: range.start, end: range.end };
    yield* this.session.stream(m.read, args, { signal });
  }

  /** Asks for the files in parts; the peer answers a prefix of each part, the rest is asked again. */
  async readSmall(paths: readonly ArenaPath[]): Promise<SmallRead[]> {
    const reads: SmallRead[] = [];
    let rest = paths;
    while (rest.length > 0) {
      const ask = batchBySize(rest, (p) => textWireSize(p.text))[0]!;
      const got = await this.session.call(m.readSmall, { paths: ask });
      if (
        got.length === 0 ||
        got.length > ask.length ||
        got.some((r, i) => r.path !== ask[i]!.text)
      ) {
        throw peerFault(this.session.arena, "sync.readSmall answered for other files");
      }
      reads.push(...got);
      rest = rest.slice(got.length);
    }
    return reads;
  }

  async *delta(
    path: ArenaPath,
    signature: Signature,
    signal?: AbortSignal,
    ranges?: ByteRanges,
  ): AsyncIterable<DeltaOp[]> {
    const wire = signatureToWire(signature);
    const weak = await this.session.bytesArg(wire.weak);
    const strong = await this.session.bytesArg(wire.strong);
    const { blockSize, fileSize, strongLength } = wire;
    const sig = { blockSize, fileSize, strongLength, weak, strong };
    const args = ranges === undefined ? { path, signature: sig } : { path, signature: sig, ranges };
    yield* this.session.stream(m.delta, args, { signal });
  }

  async remove(entry: TreeEntry): Promise<void> {
    await this.session.call(m.remove, { entry });
  }

  /** Sends the directories deepest first, so a parent is tried only after its children. */
  async removeEmptyDirs(dirs: readonly ArenaPath[]): Promise<void> {
    const deepest = [...dirs].sort((a, b) => b.components.length - a.components.length);
    for (const part of batchBySize(deepest, (p) => textWireSize(p.text))) {
      await this.session.call(m.removeEmptyDirs, { dirs: part });
    }
  }

  /** Ends the session with the peer (a later call opens a new one). */
  close(): Promise<void> {
    return this.session.close();
  }
}
