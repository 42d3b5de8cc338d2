import { signatureFromWire } from "../../delta/check-signature.ts";
import type { DeltaOp } from "../../delta/delta-op.ts";
import type { Signature } from "../../delta/signature.ts";
import type { ArenaPath } from "../../model/arena-path.ts";
import { ByteRanges } from "../../model/byte-ranges.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import type { CallMethod } from "../../network/method.ts";
import {
  syncMethods as m,
  type SessionArgs,
  type SignaturePage,
  type SyncCaller,
} from "../../network/sync-protocol.ts";
import {
  batchBySize,
  DATA_CHUNK,
  entryWireSize,
  leavesToWire,
  MESSAGE_BUDGET,
  OPS_PER_MESSAGE,
  opsWireSize,
} from "../../network/sync-wire.ts";
import type { ItemResult, Listing, Reception, SmallFile, TreeDestination } from "./endpoints.ts";
import { peerFault, RemoteSession } from "./remote-session.ts";

type EntriesMethod = CallMethod<SessionArgs & { entries: TreeEntry[] }, ItemResult[]>;

/**
 * The destination side of a push: each call goes to arena `arena` on the peer at the other
 * end of `connection`, whose service answers with its local destination for this session.
 * Paging, staging and batching stay inside; answers that do not fit the question are
 * refused as "protocol". `release` gives up open receptions keeping their partials, then
 * ends the session.
 */
export class RemoteDestination implements TreeDestination {
  private readonly session: RemoteSession;
  private readonly open = new Set<number>();

  constructor(connection: SyncCaller, arena: string) {
    this.session = new RemoteSession(connection, arena, "destination");
  }

  list(scope: readonly ArenaPath[]): Promise<Listing> {
    return this.session.list(scope);
  }

  makeDirs(entries: readonly TreeEntry[]): Promise<ItemResult[]> {
    return this.batched(m.makeDirs, entries);
  }

  makeLinks(entries: readonly TreeEntry[]): Promise<ItemResult[]> {
    return this.batched(m.makeLinks, entries);
  }

  setMeta(entries: readonly TreeEntry[]): Promise<ItemResult[]> {
    return this.batched(m.setMeta, entries);
  }

  /** Sends the files in batches that fit a message; a file too large to go whole fails alone. */
  async writeSmall(files: readonly SmallFile[]): Promise<ItemResult[]> {
    const results: ItemResult[] = [];
    const fitting = files.filter((f) => f.data.length <= DATA_CHUNK);
    for (const f of files) {
      if (f.data.length > DATA_CHUNK) {
        results.push({ path: f.entry.path.text, error: "too large to be sent as a small file" });
      }
    }
    const sizeOf = (f: SmallFile) => entryWireSize(f.entry) + f.data.length;
    for (const part of batchBySize(fitting, sizeOf)) {
      results.push(
        ...(await this.answered(part, this.session.call(m.writeSmall, { files: part }))),
      );
    }
    return results;
  }

  async begin(entry: TreeEntry, leaves?: readonly Hash[]): Promise<Reception> {
    const arg = leaves && (await this.session.bytesArg(leavesToWire(leaves)));
    let opened: { token: number; hasBase: boolean; resumable?: boolean } | undefined;
    let need = ByteRanges.empty();
    const args = arg === undefined ? { entry } : { entry, leaves: arg };
    for await (const page of this.session.stream(m.begin, args)) {
      if (opened && opened.token !== page.token) throw this.fault("sync.begin changed its token");
      opened ??= page;
      need = need.union(page.need);
    }
    if (!opened) throw this.fault("sync.begin sent no token");
    this.open.add(opened.token);
    const last = need.ranges[need.ranges.length - 1];
    if (last && last.end > entry.size) throw this.fault("sync.begin needs bytes past the end");
    const { token, hasBase } = opened;
    return opened.resumable ? { token, need, hasBase, resumable: true } : { token, need, hasBase };
  }

  async write(token: number, offset: number, data: Uint8Array): Promise<void> {
    const pieces = [];
    for (let at = 0; at < data.length; at += DATA_CHUNK) {
      const piece = data.subarray(at, at + DATA_CHUNK);
      pieces.push(this.session.call(m.write, { token, offset: offset + at, data: piece }));
    }
    await Promise.all(pieces);
  }

  /** Gathers the signature's pages and checks the whole against its geometry. */
  async signature(token: number, ranges?: ByteRanges): Promise<Signature> {
    const pages: SignaturePage[] = [];
    let blocks = 0;
    const args = ranges === undefined ? { token } : { token, ranges };
    for await (const page of this.session.stream(m.signature, args)) {
      const first = pages[0] ?? page;
      const same =
        page.blockSize === first.blockSize &&
        page.fileSize === first.fileSize &&
        page.strongLength === first.strongLength;
      if (!same || page.first !== blocks || page.weak.length % 4 !== 0) {
        throw this.fault("sync.signature pages do not follow each other");
      }
      pages.push(page);
      blocks += page.weak.length / 4;
    }
    const first = pages[0];
    if (!first) throw this.fault("sync.signature sent nothing");
    return signatureFromWire({
      blockSize: first.blockSize,
      fileSize: first.fileSize,
      strongLength: first.strongLength,
      weak: Buffer.concat(pages.map((p) => p.weak)),
      strong: Buffer.concat(pages.map((p) => p.strong)),
    });
  }

  /** Sends the ops in order, in messages of bounded size. */
  async patch(token: number, ops: readonly DeltaOp[]): Promise<void> {
    const sizeOf = (op: DeltaOp) => opsWireSize([op]);
    for (const part of batchBySize(ops, sizeOf, MESSAGE_BUDGET, OPS_PER_MESSAGE)) {
      await this.session.call(m.patch, { token, ops: part });
    }
  }

  async commit(token: number, hash?: Hash): Promise<void> {
    await this.session.call(m.commit, hash === undefined ? { token } : { token, hash });
    this.open.delete(token);
  }

  async abort(token: number, keep: boolean): Promise<void> {
    this.open.delete(token);
    await this.session.call(m.abort, { token, keep });
  }

  /** Gives up every open reception keeping its partial, then ends the session. */
  async release(): Promise<void> {
    const open = [...this.open];
    this.open.clear();
    await Promise.all(open.map((token) => this.abort(token, true).catch(() => {})));
    await this.session.close();
  }

  private async batched(method: EntriesMethod, entries: readonly TreeEntry[]) {
    const results: ItemResult[] = [];
    for (const part of batchBySize(entries, entryWireSize)) {
      results.push(...(await this.answered(part, this.session.call(method, { entries: part }))));
    }
    return results;
  }

  /** The results of a batch, refused unless they answer exactly its items. */
  private async answered(
    items: readonly (TreeEntry | SmallFile)[],
    results: Promise<ItemResult[]>,
  ): Promise<ItemResult[]> {
    const got = await results;
    const asked = new Set(items.map((i) => ("entry" in i ? i.entry : i).path.text));
    if (got.length !== asked.size || got.some((r) => !asked.has(r.path))) {
      throw this.fault("results for other items than were sent");
    }
    return got;
  }

  private fault(what: string) {
    return peerFault(this.session.arena, what);
  }
}
