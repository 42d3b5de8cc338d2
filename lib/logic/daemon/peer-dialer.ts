import { errorMessage, isRealizeError } from "../../model/errors.ts";
import type { Logger } from "../../model/logger.ts";
import { Backoff } from "../../network/backoff.ts";
import { type Clock, systemClock } from "../../network/clock.ts";
import type { Link } from "../../network/link.ts";
import type { RpcConnection } from "../../network/rpc-connection.ts";

/** What a PeerDialer needs. */
export interface PeerDialerOptions {
  /** The peer's config name, for the log. */
  peer: string;
  /** Opens an authenticated link to the peer; rejects with a RealizeError saying why not. */
  dial: (signal: AbortSignal) => Promise<Link>;
  /** Turns the link into a served connection (the daemon's PeerConnections.adopt). */
  connect: (link: Link) => RpcConnection;
  logger: Logger;
  backoff?: Backoff;
  clock?: Clock;
  /** A connection that stayed up at least this long resets the backoff. Default 10 s. */
  stableMs?: number;
}

/**
 * Keeps one connection to a peer that has an address: dials, and whenever the dial fails
 * or the connection ends (the other side restarted, the network went away), waits a
 * backoff delay and dials again, until stopped. The backoff starts over once a connection
 * has stayed up for `stableMs`, so a peer that restarts now and then is redialled at once,
 * while one that accepts and drops at once is not hammered. A failure is logged as a
 * warning when its reason changes, then quietly while it repeats.
 */
export class PeerDialer {
  private readonly stopping = new AbortController();
  private readonly backoff: Backoff;
  private readonly clock: Clock;
  private current: RpcConnection | undefined;
  private loop: Promise<void> | undefined;
  /** Dials started so far. */
  attempts = 0;

  constructor(private readonly options: PeerDialerOptions) {
    this.backoff = options.backoff ?? new Backoff();
    this.clock = options.clock ?? systemClock;
  }

  /** Starts dialling; returns this. */
  start(): this {
    this.loop ??= this.run();
    return this;
  }

  /** The connection this dialer holds, once it is past hello. */
  get connection(): RpcConnection | undefined {
    return this.current?.open ? this.current : undefined;
  }

  /** Stops dialling and closes the connection; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.current?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    const { logger, peer } = this.options;
    let lastFailure: string | undefined;
    while (!signal.aborted) {
      this.attempts++;
      try {
        const link = await this.options.dial(signal);
        if (signal.aborted) {
          link.stream.destroy();
          break;
        }
        const connection = this.options.connect(link);
        this.current = connection;
        await connection.ready;
        lastFailure = undefined;
        const up = this.clock.now();
        await connection.closed;
        if (this.clock.now() - up >= (this.options.stableMs ?? 10_000)) this.backoff.reset();
      } catch (error) {
        if (signal.aborted) break;
        const code = isRealizeError(error) ? error.code : "internal";
        const wait = this.backoff.next();
        logger.log(code === lastFailure ? "debug" : "warn", "cannot connect to peer", {
          peer,
          code,
          reason: errorMessage(error),
          retryInMs: Math.round(wait),
        });
        lastFailure = code;
        this.current = undefined;
        await this.clock.sleep(wait, signal);
        continue;
      }
      this.current = undefined;
      if (signal.aborted) break;
      const wait = this.backoff.next();
      logger.log("debug", "redialling peer", { peer, retryInMs: Math.round(wait) });
      await this.clock.sleep(wait, signal);
    }
  }
}
