import { mkdir } from "node:fs/promises";
import { loadIdentity } from "../../config/identity.ts";
import type { PeerPaths } from "../../config/paths.ts";
import type { Config, PeerConfig } from "../../config/types.ts";
import { ArenaPath } from "../../model/arena-path.ts";
import { RealizeError } from "../../model/errors.ts";
import { phase } from "../../model/phase-timer.ts";
import type { TransferDirection, TransferSummary } from "../../model/transfer.ts";
import { limitLink } from "../../network/limit-link.ts";
import { RpcConnection } from "../../network/rpc-connection.ts";
import { tlsDial } from "../../network/tls-transport.ts";
import { IndexDb } from "../../storage/index-db.ts";
import type { TreeDestination, TreeSource } from "./endpoints.ts";
import type { JobObserver } from "./job-state.ts";
import { localDestination, localSource, openLocalArena } from "./local-arena.ts";
import { RemoteDestination } from "./remote-destination.ts";
import { RemoteSource } from "./remote-source.ts";
import { runTransfer } from "./transfer.ts";

/** How long a stopped job may wind down before its connection is closed under it. */
const STOP_GRACE_MS = 1000;

/** A push or pull as the user asked for it (CLI.md). */
export interface PushPullRequest {
  direction: TransferDirection;
  arena: string;
  peer: string;
  /** Paths within the arena; empty for all of it. */
  paths: readonly string[];
  dryRun?: boolean;
  move?: boolean;
  /** Stop cleanly after this long (--max-duration); the next run resumes. */
  maxDurationMs?: number;
  /** Cap in bytes/s on this job's connection (--max-rate); default: the peer's max_rate. */
  maxRate?: number;
  /** Stops the job cleanly when aborted (SIGINT/SIGTERM). */
  signal?: AbortSignal;
  observer?: JobObserver;
}

/** The configured peer to dial, or the usage error that says why it cannot be dialled. */
function dialTarget(
  config: Config,
  name: string,
): PeerConfig & { address: NonNullable<PeerConfig["address"]> } {
  const peer = config.peers[name];
  if (!peer) {
    throw new RealizeError("unknown_peer", `peer ${name} is not in the config ${config.file}`, {
      peer: name,
      file: config.file,
    });
  }
  if (!peer.address) {
    throw new RealizeError(
      "usage",
      `peer ${name} has no address in ${config.file}, so it cannot be dialled; add one with \`realize peer remove ${name}\` and \`realize peer add ${name} --pubkey … --address HOST:PORT\`, or run the command on ${name}`,
      { peer: name, file: config.file },
    );
  }
  return { ...peer, address: peer.address };
}

/** Validates the PATH arguments; a bad one is a usage error naming it (nothing touched). */
function scopeOf(paths: readonly string[]): ArenaPath[] {
  return paths.map((p) => ArenaPath.parse(p.replace(/\/+$/, "")));
}

/**
 * Checks a request against the config before anything is touched: the arena and the peer
 * exist, the peer can be dialled, every PATH is valid. Throws the usage error (exit 2).
 */
export function checkPushPull(
  config: Config,
  request: Pick<PushPullRequest, "arena" | "peer" | "paths">,
): { scope: ArenaPath[]; target: ReturnType<typeof dialTarget> } {
  const scope = scopeOf(request.paths);
  const target = dialTarget(config, request.peer);
  if (!config.arenas[request.arena]) {
    throw new RealizeError(
      "unknown_arena",
      `arena ${request.arena} is not in the config ${config.file}`,
      {
        arena: request.arena,
        file: config.file,
      },
    );
  }
  return { scope, target };
}

/**
 * Runs one push or pull against a peer running `realize serve`: dials it over pinned-key
 * TLS, then moves what differs (runTransfer). Usage problems (unknown arena or peer, bad
 * path) throw before anything is touched; a lost peer throws; per-file failures are in
 * the summary.
 */
export async function pushPull(
  paths: PeerPaths,
  config: Config,
  request: PushPullRequest,
): Promise<TransferSummary> {
  const { scope, target } = checkPushPull(config, request);
  const identity = await loadIdentity(paths);
  await mkdir(paths.stateDir, { recursive: true, mode: 0o700 });
  const index = IndexDb.open(paths.stateDir);
  const stop = new AbortController();
  let connection: RpcConnection | undefined;
  let grace: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    stop.abort();
    // Writes already queued for a slow (--max-rate) link could hold the stop for long; what
    // the peer received by then stays in its partials for the next run.
    grace ??= setTimeout(
      () =>
        connection?.close(
          new RealizeError(
            "cancelled",
            `stopped: the connection to peer ${request.peer} was closed without waiting for data still queued`,
          ),
        ),
      STOP_GRACE_MS,
    );
  };
  request.signal?.addEventListener("abort", onAbort, { once: true });
  const timer =
    request.maxDurationMs === undefined ? undefined : setTimeout(onAbort, request.maxDurationMs);
  try {
    const arena = await openLocalArena(config, index, request.arena);
    const local: { source?: TreeSource; destination?: TreeDestination } =
      request.direction === "push"
        ? { source: await localSource(arena) }
        : { destination: await localDestination(arena) };
    const connected = phase("push/pull: connect");
    const dialled = await tlsDial({
      identity: { ...identity, name: config.peer.name },
      peer: target,
    });
    const rate = request.maxRate ?? target.maxRate;
    connection = new RpcConnection(rate ? limitLink(dialled, rate) : dialled);
    await connection.ready;
    connected();
    const conn = connection;
    const source = local.source ?? new RemoteSource(conn, request.arena);
    const destination = local.destination ?? new RemoteDestination(conn, request.arena);
    try {
      return await runTransfer(source, destination, {
        arena: request.arena,
        peer: request.peer,
        direction: request.direction,
        scope,
        dryRun: request.dryRun,
        move: request.move,
        stop: stop.signal,
        wireBytes: () => conn.bytes.read + conn.bytes.written,
        observer: request.observer,
      });
    } finally {
      await destination.release().catch(() => {});
    }
  } finally {
    if (timer) clearTimeout(timer);
    if (grace) clearTimeout(grace);
    request.signal?.removeEventListener("abort", onAbort);
    connection?.close();
    await connection?.closed;
    index.close();
  }
}
