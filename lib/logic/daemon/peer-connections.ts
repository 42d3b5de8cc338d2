import type { RealizeError } from "../../model/errors.ts";
import type { Logger } from "../../model/logger.ts";
import { frameErrorReason } from "../../network/frame-error-reason.ts";
import { limitLink } from "../../network/limit-link.ts";
import type { Link } from "../../network/link.ts";
import type { NetworkMetrics } from "../../network/metrics.ts";
import type { PeerRates } from "../../network/peer-rates.ts";
import { RpcConnection } from "../../network/rpc-connection.ts";
import type { Service } from "../../network/service.ts";

/** Which side opened a connection. */
export type Direction = "in" | "out";

/** One peer's connections as `control.status` reports them (times in ms since the epoch). */
export interface PeerLinkState {
  connected: boolean;
  connections: number;
  lastSeen: number | null;
  connectedSince: number | null;
}

/** What every connection of a daemon is built with. */
export interface PeerConnectionsOptions {
  service: Service;
  metrics: NetworkMetrics;
  rates: PeerRates;
  logger: Logger;
  /** Wall clock for lastSeen and connectedSince; Date.now unless a test sets it. */
  now?: () => number;
}

interface PeerState {
  open: Set<RpcConnection>;
  since: number | null;
  lastSeen: number | null;
}

/** How long closing waits for the peers to see the end of their connections. */
const CLOSE_LINGER_MS = 2500;

/**
 * The daemon's connections to other peers, dialled or accepted. Each link is paced by its
 * peer's buckets (max_rate), metered (bytes in/out, open connections, frame errors and
 * version refusals), and served by the daemon's service; RPC runs both ways on it. A
 * connection counts as open once both hellos are through. Two peers that dial each other
 * keep both connections: each is complete on its own, and closing either leaves the
 * other, so nothing has to decide which one wins.
 */
export class PeerConnections {
  private readonly peers = new Map<string, PeerState>();
  private readonly all = new Map<RpcConnection, Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly options: PeerConnectionsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Serves `link` as a connection of this daemon; `direction` is for the log. */
  adopt(link: Link, direction: Direction): RpcConnection {
    const { metrics, logger } = this.options;
    const peer = link.peer;
    const state = this.stateOf(peer);
    const paced = limitLink(link, this.options.rates.of(peer));
    const gone = new Promise<void>((resolve) => paced.stream.once("close", () => resolve()));
    const connection = new RpcConnection(paced, {
      service: this.options.service,
      logger,
      meter: {
        read: (n) => {
          metrics.bytesIn(peer, n);
          state.lastSeen = this.now();
        },
        written: (n) => metrics.bytesOut(peer, n),
      },
      onViolation: (reason) => this.violation(reason),
    });
    this.all.set(connection, gone);
    void connection.closed.then(() => this.all.delete(connection));
    connection.ready.then(
      () => {
        if (state.open.size === 0) state.since = this.now();
        state.open.add(connection);
        metrics.connectionOpened(peer);
        logger.log("info", "peer connected", { peer, address: link.address, direction });
        void connection.closed.then(() => {
          state.open.delete(connection);
          if (state.open.size === 0) state.since = null;
          metrics.connectionClosed(peer);
        });
      },
      () => {},
    );
    return connection;
  }

  /** What `control.status` shows of `peer`. */
  state(peer: string): PeerLinkState {
    const state = this.peers.get(peer);
    return {
      connected: (state?.open.size ?? 0) > 0,
      connections: state?.open.size ?? 0,
      lastSeen: state?.lastSeen ?? null,
      connectedSince: state?.since ?? null,
    };
  }

  /** An open connection to `peer` past hello, if there is one. */
  connectionTo(peer: string): RpcConnection | undefined {
    const [first] = this.peers.get(peer)?.open ?? [];
    return first;
  }

  /** Closes every connection of `peer`, telling it `reason`. */
  closePeer(peer: string, reason?: RealizeError): void {
    for (const [connection] of this.all) if (connection.peer === peer) connection.close(reason);
  }

  /**
   * Closes every connection (each peer is told `reason`) and waits until the peers have
   * seen the end, or CLOSE_LINGER_MS at most.
   */
  async closeAll(reason?: RealizeError): Promise<void> {
    const gone = [...this.all].map(([connection, closed]) => {
      connection.close(reason);
      return closed;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const linger = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_LINGER_MS);
    });
    await Promise.race([Promise.all(gone), linger]);
    clearTimeout(timer);
  }

  private violation(reason: RealizeError): void {
    if (reason.code === "version_mismatch") this.options.metrics.connectionRefused(reason.code);
    else this.options.metrics.frameError(frameErrorReason(reason));
  }

  private stateOf(peer: string): PeerState {
    let state = this.peers.get(peer);
    if (!state) {
      state = { open: new Set(), since: null, lastSeen: null };
      this.peers.set(peer, state);
    }
    return state;
  }
}
