import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ErrorCode } from "../model/errors.ts";
import type { TransferDirection } from "../model/transfer.ts";

/** How a request ended: "ok", or the code of the error it ended with. */
export type RequestOutcome = "ok" | ErrorCode;

/**
 * What the network layer counts. `Metrics` keeps the numbers for `/metrics`; `noMetrics`
 * drops them when the config has no `metrics` address. Label values must come from small
 * fixed sets (method names, peer names from the config, error codes), never from paths.
 */
export interface NetworkMetrics {
  /** One request finished (either side), by RPC method and outcome. */
  requestDone(method: string, outcome: RequestOutcome): void;
  /** n bytes arrived from `peer` (on the wire, after TLS). */
  bytesIn(peer: string, n: number): void;
  /** n bytes went to `peer`. */
  bytesOut(peer: string, n: number): void;
  connectionOpened(peer: string): void;
  connectionClosed(peer: string): void;
  /** A connection was turned away before it became a link: unknown_key, tls, version_mismatch… */
  connectionRefused(reason: string): void;
  /** A frame could not be read or failed its schema: too_large, bad_cbor, bad_schema… */
  frameError(reason: string): void;
  /** One file transfer finished after `seconds`. */
  transferDuration(direction: TransferDirection, seconds: number): void;
  /** Content type of `text()`. */
  readonly contentType: string;
  /** Everything counted so far, in the Prometheus text exposition format. */
  text(): Promise<string>;
}

/** Transfer times range from a small file on a LAN to a large one over a slow uplink. */
const TRANSFER_BUCKETS = [0.01, 0.05, 0.25, 1, 5, 30, 120, 600, 3600];

/**
 * The metrics of one daemon, in a registry of its own (never prom-client's global one), so
 * several daemons or tests in one process keep separate counts. Names start with `realize_`.
 * Still to come as their layers land: cache hits/misses/evictions, history lag per peer.
 */
export class Metrics implements NetworkMetrics {
  readonly registry = new Registry();
  private readonly requests = this.counter(
    "realize_requests_total",
    "Requests finished, by RPC method and outcome (ok or error code).",
    ["method", "outcome"],
  );
  /**
   * Bytes per peer not yet added to the counters below: the byte meters are called for
   * every chunk read and frame written, and a labelled prom-client increment costs a few µs
   * (a label lookup), so the sums are handed over when the metrics are read.
   */
  private readonly pendingIn = new Map<string, number>();
  private readonly pendingOut = new Map<string, number>();

  private readonly refused = this.counter(
    "realize_refused_connections_total",
    "Connections refused before authentication completed, by reason.",
    ["reason"],
  );
  private readonly frameErrors = this.counter(
    "realize_frame_errors_total",
    "Frames that could not be read or failed validation, by reason.",
    ["reason"],
  );
  private readonly open = new Gauge({
    name: "realize_open_connections",
    help: "Connections open now, by peer.",
    labelNames: ["peer"] as const,
    registers: [this.registry],
  });
  private readonly durations = new Histogram({
    name: "realize_transfer_duration_seconds",
    help: "Time to transfer one file, by direction (push or pull).",
    labelNames: ["direction"] as const,
    buckets: TRANSFER_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    this.byteCounter(
      "realize_received_bytes_total",
      "Bytes received from each peer.",
      this.pendingIn,
    );
    this.byteCounter("realize_sent_bytes_total", "Bytes sent to each peer.", this.pendingOut);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  requestDone(method: string, outcome: RequestOutcome): void {
    this.requests.inc({ method, outcome });
  }

  bytesIn(peer: string, n: number): void {
    this.pendingIn.set(peer, (this.pendingIn.get(peer) ?? 0) + n);
  }

  bytesOut(peer: string, n: number): void {
    this.pendingOut.set(peer, (this.pendingOut.get(peer) ?? 0) + n);
  }

  connectionOpened(peer: string): void {
    this.open.inc({ peer });
  }

  connectionClosed(peer: string): void {
    this.open.dec({ peer });
  }

  connectionRefused(reason: string): void {
    this.refused.inc({ reason });
  }

  frameError(reason: string): void {
    this.frameErrors.inc({ reason });
  }

  transferDuration(direction: TransferDirection, seconds: number): void {
    this.durations.observe({ direction }, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A per-peer byte counter that takes in the sums of `pending` whenever it is read. */
  private byteCounter(name: string, help: string, pending: Map<string, number>): Counter<"peer"> {
    return new Counter({
      name,
      help,
      labelNames: ["peer"] as const,
      registers: [this.registry],
      collect(this: Counter<"peer">) {
        for (const [peer, n] of pending) this.inc({ peer }, n);
        pending.clear();
      },
    });
  }
}

/** The metrics of a daemon without a `metrics` address: every call does nothing. */
export const noMetrics: NetworkMetrics = {
  requestDone() {},
  bytesIn() {},
  bytesOut() {},
  connectionOpened() {},
  connectionClosed() {},
  connectionRefused() {},
  frameError() {},
  transferDuration() {},
  contentType: "text/plain; version=0.0.4; charset=utf-8",
  text: async () => "",
};
