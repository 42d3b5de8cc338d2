import type { ArenaPath } from "../../model/arena-path.ts";
import { RealizeError } from "../../model/errors.ts";
import type { CallMethod, StreamMethod } from "../../network/method.ts";
import type { CallOptions } from "../../network/rpc-outbound.ts";
import {
  type SessionArgs,
  type SyncCaller,
  type SyncSide,
  syncMethods,
} from "../../network/sync-protocol.ts";
import { type BytesArg, batchBySize, DATA_CHUNK, textWireSize } from "../../network/sync-wire.ts";
import type { ListHashes, Listing } from "./endpoints.ts";

/** The arguments of a session method, less the arena and session the session adds. */
export type Rest<A> = Omit<A, keyof SessionArgs>;

/** A RealizeError("protocol") for a peer's answer that breaks the sync protocol's rules. */
export function peerFault(arena: string, what: string): RealizeError {
  return new RealizeError(
    "protocol",
    `the peer answered out of protocol for arena ${arena}: ${what}; it runs an incompatible or faulty realize`,
    { arena },
  );
}

/**
 * One side of an arena on a peer, as a remote endpoint talks to it: opens the session
 * (`sync.open`) on first use, adds the arena and session number to every request, stages
 * large arguments in pieces, and on `close` ends the session so the peer releases what it
 * holds for it. After `close`, the next request opens a new session.
 */
export class RemoteSession {
  private opened: Promise<{ id: number; stream: AsyncIterableIterator<unknown> }> | undefined;
  private nextStage = 1;

  constructor(
    private readonly connection: SyncCaller,
    readonly arena: string,
    readonly side: SyncSide,
  ) {}

  /** The session number, opening the session if needed (rejects e.g. with "not_shared"). */
  async id(): Promise<number> {
    this.opened ??= this.open();
    const opening = this.opened;
    try {
      return (await opening).id;
    } catch (error) {
      if (this.opened === opening) this.opened = undefined;
      throw error;
    }
  }

  private async open(): Promise<{ id: number; stream: AsyncIterableIterator<unknown> }> {
    const stream = this.connection.stream(syncMethods.open, {
      arena: this.arena,
      side: this.side,
    });
    const first = await stream.next();
    if (first.done) throw peerFault(this.arena, "sync.open ended without a session");
    return { id: first.value.session, stream };
  }

  async call<A extends SessionArgs, R>(method: CallMethod<A, R>, rest: Rest<A>): Promise<R> {
    const session = await this.id();
    return this.connection.call(method, { ...rest, arena: this.arena, session } as A);
  }

  async *stream<A extends SessionArgs, C>(
    method: StreamMethod<A, C>,
    rest: Rest<A>,
    options: CallOptions = {},
  ): AsyncGenerator<C> {
    const session = await this.id();
    yield* this.connection.stream(method, { ...rest, arena: this.arena, session } as A, options);
  }

  /** Bytes inline when they fit in one message, else staged in pieces and named by stage. */
  async bytesArg(bytes: Uint8Array): Promise<BytesArg> {
    if (bytes.length <= DATA_CHUNK) return { bytes };
    const stage = this.nextStage++;
    for (let offset = 0; offset < bytes.length; offset += DATA_CHUNK) {
      const data = bytes.subarray(offset, offset + DATA_CHUNK);
      await this.call(syncMethods.stage, { stage, offset, data });
    }
    return { stage };
  }

  /** The side's listing under `scope`, gathered from its pages (a long scope in parts). */
  async list(scope: readonly ArenaPath[], hashes?: ListHashes): Promise<Listing> {
    const listing: Listing = { entries: [], failures: [] };
    const parts = scope.length === 0 ? [[]] : batchBySize(scope, (p) => textWireSize(p.text));
    for (const part of parts) {
      const args = hashes === undefined ? { scope: part } : { scope: part, hashes };
      for await (const page of this.stream(syncMethods.list, args)) {
        listing.entries.push(...page.entries);
        listing.failures.push(...page.failures);
      }
    }
    return listing;
  }

  /** Ends the session: the peer releases its side (open partials are kept). */
  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    const session = await opened?.catch(() => undefined);
    await session?.stream.return?.();
  }
}
