import { RealizeError } from "../../model/errors.ts";
import type { RequestContext } from "../../network/service.ts";
import type { SessionArgs, SyncSide } from "../../network/sync-protocol.ts";
import type { BytesArg } from "../../network/sync-wire.ts";
import type { TreeDestination, TreeSource } from "./endpoints.ts";

/** Most bytes one session may hold staged at once (the leaves of a 1 TiB file). */
export const MAX_STAGED_BYTES = 512 * 1024 * 1024;

/** The endpoints of one arena, as the service's resolver hands them out. */
export interface ArenaEndpoints {
  source: TreeSource;
  destination: TreeDestination;
}

/** One open session: a calling peer's use of one side of one arena. */
export interface PeerSession {
  readonly id: number;
  readonly peer: string;
  readonly address: string;
  readonly arena: string;
  readonly side: SyncSide;
  readonly endpoints: ArenaEndpoints;
  readonly stages: Map<number, Uint8Array[]>;
  staged: number;
}

function protocol(message: string, data: Record<string, string | number> = {}): RealizeError {
  return new RealizeError("protocol", message, data);
}

/**
 * The sessions a peer service holds for its callers. A session is only found by the peer
 * and connection that opened it, for the arena and side it was opened on, so one caller
 * can never reach another's partials. Staged bytes are bounded per session.
 */
export class PeerSessions {
  private readonly sessions = new Map<number, PeerSession>();
  private nextId = 1;

  /** Number of open sessions. */
  get size(): number {
    return this.sessions.size;
  }

  open(
    context: RequestContext,
    arena: string,
    side: SyncSide,
    endpoints: ArenaEndpoints,
  ): PeerSession {
    const session: PeerSession = {
      id: this.nextId++,
      peer: context.peer,
      address: context.address,
      arena,
      side,
      endpoints,
      stages: new Map(),
      staged: 0,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  close(id: number): void {
    this.sessions.delete(id);
  }

  /** The session a request names; "protocol" unless the caller opened it for this arena and side. */
  get(args: SessionArgs, context: RequestContext, side?: SyncSide): PeerSession {
    const s = this.sessions.get(args.session);
    if (!s || s.peer !== context.peer || s.address !== context.address || s.arena !== args.arena) {
      throw protocol(`no open sync session ${args.session} for arena ${args.arena}`, {
        session: args.session,
        arena: args.arena,
      });
    }
    if (side !== undefined && s.side !== side) {
      throw protocol(`sync session ${s.id} was opened on the ${s.side}, not the ${side}`, {
        session: s.id,
      });
    }
    return s;
  }

  /** Appends a piece to a stage; it must start where the stage ends. */
  stage(session: PeerSession, stage: number, offset: number, data: Uint8Array): void {
    const pieces = session.stages.get(stage) ?? [];
    const length = pieces.reduce((sum, p) => sum + p.length, 0);
    if (offset !== length) {
      throw protocol(`a piece of stage ${stage} at ${offset}, where it holds ${length} bytes`);
    }
    if (session.staged + data.length > MAX_STAGED_BYTES) {
      throw new RealizeError(
        "refused",
        `sync session ${session.id} would stage more than ${MAX_STAGED_BYTES} bytes`,
        { session: session.id },
      );
    }
    pieces.push(Uint8Array.from(data));
    session.stages.set(stage, pieces);
    session.staged += data.length;
  }

  /** The bytes an argument names: inline, or a stage (which is used up). */
  take(session: PeerSession, arg: BytesArg): Uint8Array {
    if ("bytes" in arg) return arg.bytes;
    const pieces = session.stages.get(arg.stage);
    if (!pieces) throw protocol(`no stage ${arg.stage} in sync session ${session.id}`);
    session.stages.delete(arg.stage);
    const bytes = Buffer.concat(pieces);
    session.staged -= bytes.length;
    return bytes;
  }
}
