import { errorMessage, isRealizeError, RealizeError } from "../model/errors.ts";
import { type Logger, silentLogger } from "../model/logger.ts";
import { type ByteMeter, FrameChannel } from "./framing.ts";
import type { Link } from "./link.ts";
import type { CallMethod, StreamMethod } from "./method.ts";
import { type InboundPort, InboundRequest } from "./rpc-inbound.ts";
import {
  type CallOptions,
  type Outbound,
  OutboundCall,
  type OutboundPort,
  OutboundStream,
  timeoutOf,
} from "./rpc-outbound.ts";
import type { Service } from "./service.ts";
import { type Message, messageFromWire, messageToWire, PROTOCOL_NAME } from "./wire.ts";

/**
 * The protocol version this build speaks; peers must speak the same one. Bump it with any
 * change to a message or method a peer of the previous version would read wrongly.
 * 2: sync.readSmall answers may carry a hash and mtime; sync.signature and sync.delta take
 * ranges; listings may leave file hashes out (sync.list `hashes`), then given by
 * sync.hashes or at the end of sync.stream, whose root a sync.begin without leaves gets
 * at sync.commit.
 * 3: sync.list pages in a compact columnar form (lib/network/listing-wire.ts).
 */
export const PROTOCOL_VERSION = 3;

/** Tuning and collaborators of a connection. */
export interface RpcConnectionOptions {
  /** The methods this side answers; without one, every request is refused as unknown. */
  service?: Service;
  logger?: Logger;
  /** Largest frame read or written (framing.ts DEFAULT_MAX_FRAME). */
  maxFrame?: number;
  meter?: ByteMeter;
  /** Requests from the peer served at once; more are refused with "refused". Default 256. */
  maxInFlight?: number;
  /** Chunks a stream may send ahead of the consumer. Default 16. */
  window?: number;
  /** How long the peer has to say hello. Default 10 s. */
  helloTimeoutMs?: number;
  /** The version announced in the hello; only tests change it. */
  version?: number;
  /**
   * The peer broke the protocol (a bad frame or message, "protocol") or speaks another
   * version ("version_mismatch"); called once, before the connection closes. For metrics.
   */
  onViolation?: (reason: RealizeError) => void;
}

/**
 * RPC over one link, in both directions: the first exchange is a hello naming the
 * protocol version; then each side may call the other's service with many requests in
 * flight. Every frame is validated before it acts on anything; a frame that breaks the
 * protocol, or whose handling throws, closes this connection (with a logged reason and a
 * `bye` telling the peer why) and fails every request in flight on it, and nothing else.
 */
export class RpcConnection {
  readonly peer: string;
  readonly address: string;
  /** Resolves once the peer's hello was accepted; rejects (e.g. "version_mismatch") if not. */
  readonly ready: Promise<void>;
  /** Resolves when the connection is over, with the reason if it broke. */
  readonly closed: Promise<RealizeError | undefined>;

  private readonly channel: FrameChannel;
  private readonly logger: Logger;
  private readonly outbound = new Map<number, Outbound>();
  private readonly inbound = new Map<number, InboundRequest>();
  private readonly port: OutboundPort;
  private readonly inboundPort: InboundPort;
  private state: "hello" | "open" | "closed" = "hello";
  private nextId = 1;
  private helloTimer: ReturnType<typeof setTimeout> | undefined;
  private settleReady!: (error?: RealizeError) => void;
  private settleClosed!: (reason: RealizeError | undefined) => void;

  constructor(
    link: Link,
    private readonly options: RpcConnectionOptions = {},
  ) {
    this.peer = link.peer;
    this.address = link.address;
    this.logger = options.logger ?? silentLogger;
    this.ready = new Promise((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    this.ready.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.settleClosed = resolve;
    });
    this.port = {
      peer: this.peer,
      send: (message) => void this.send(message),
      forget: (id) => this.outbound.delete(id),
      violation: (reason) => this.violation(reason),
    };
    this.inboundPort = {
      peer: this.peer,
      address: this.address,
      logger: this.logger,
      send: (message) => this.send(message),
      drained: () => this.channel.drained(),
    };
    this.channel = new FrameChannel(
      link.stream,
      { frame: (value) => this.receive(value), closed: (reason) => this.lost(reason) },
      { maxFrame: options.maxFrame, meter: options.meter },
    );
    this.send({
      t: "hello",
      protocol: PROTOCOL_NAME,
      version: options.version ?? PROTOCOL_VERSION,
    });
    this.helloTimer = setTimeout(() => {
      const ms = options.helloTimeoutMs ?? 10_000;
      this.violation(new RealizeError("protocol", `no hello within ${ms} ms`, { ms }));
    }, options.helloTimeoutMs ?? 10_000);
  }

  /** Bytes read from and written to the link so far, frame headers included. */
  get bytes(): { read: number; written: number } {
    return { read: this.channel.bytesRead, written: this.channel.bytesWritten };
  }

  /** False once the connection is closed or broken. */
  get open(): boolean {
    return this.state !== "closed";
  }

  /**
   * Calls `method` on the peer; rejects with the peer's error as a RealizeError of the same
   * code. The deadline and signal count from now, the hello exchange included. Large byte
   * strings in `args` are sent from their own memory: they must not change until it settles.
   */
  call<A, R>(method: CallMethod<A, R>, args: A, options: CallOptions = {}): Promise<R> {
    const id = this.nextId++;
    const call = new OutboundCall(this.port, id, method as CallMethod<unknown, R>, options);
    this.sendWhenReady(id, call, () => ({
      t: "req",
      id,
      method: method.name,
      args: method.args.encode(args),
      timeout: timeoutOf(options),
    }));
    return call.result;
  }

  /**
   * Opens a stream from the peer: chunks arrive in order as the loop consumes them (the
   * peer never runs more than the window ahead); `break` cancels it on the peer.
   */
  stream<A, C>(
    method: StreamMethod<A, C>,
    args: A,
    options: CallOptions = {},
  ): AsyncIterableIterator<C> {
    const id = this.nextId++;
    const window = this.options.window ?? 16;
    const stream = new OutboundStream(
      this.port,
      id,
      method as StreamMethod<unknown, C>,
      window,
      options,
    );
    this.sendWhenReady(id, stream, () => ({
      t: "req",
      id,
      method: method.name,
      args: method.args.encode(args),
      timeout: timeoutOf(options),
      window,
    }));
    return stream;
  }

  /**
   * Closes the connection: the peer is told (with `reason` if given), requests in flight
   * on both sides end with "cancelled".
   */
  close(reason?: RealizeError): void {
    if (this.state === "closed") return;
    this.sendQuietly({ t: "bye", err: reason });
    this.shutdown(
      reason ?? new RealizeError("cancelled", `connection to peer ${this.peer} closed`),
      reason,
    );
    this.channel.close();
  }

  /** Registers `request` and sends it once the hello exchange is done, unless it ended before. */
  private sendWhenReady(id: number, request: Outbound, message: () => Message): void {
    if (request.done) return;
    this.outbound.set(id, request);
    if (this.state === "open") {
      this.sendRequest(request, message);
      return;
    }
    this.ready.then(
      () => this.sendRequest(request, message),
      (error: RealizeError) => request.fail(error),
    );
  }

  private sendRequest(request: Outbound, message: () => Message): void {
    if (request.done) return;
    try {
      this.send(message());
    } catch (error) {
      request.fail(
        isRealizeError(error)
          ? error
          : new RealizeError("internal", `cannot encode a request: ${String(error)}`),
      );
    }
  }

  private send(message: Message): boolean {
    if (!this.channel.open) {
      throw new RealizeError(
        "unreachable",
        `the connection to peer ${this.peer} at ${this.address} is closed`,
        { peer: this.peer, address: this.address },
      );
    }
    return this.channel.send(messageToWire(message));
  }

  private sendQuietly(message: Message): void {
    try {
      if (this.channel.open) this.send(message);
    } catch {}
  }

  private receive(value: unknown): void {
    if (this.state === "closed") return;
    let violation: RealizeError | undefined;
    try {
      const message = messageFromWire(value);
      violation =
        message instanceof RealizeError
          ? message
          : this.state === "hello"
            ? this.greet(message)
            : this.dispatch(message);
    } catch (error) {
      violation = this.unhandled(value, error);
    }
    if (violation) this.violation(violation);
  }

  /**
   * Acting on a frame threw (a codec or consumer bug, bytes gone from under us): requests
   * on this connection may never get their answer, so it is closed rather than left hanging.
   */
  private unhandled(value: unknown, error: unknown): RealizeError {
    const why = errorMessage(error);
    const type = (value as { t?: unknown } | null)?.t;
    const what = typeof type === "string" ? `a "${type.slice(0, 32)}" message` : "a message";
    this.logger.log("error", "handling a message failed", {
      ...this.fields(undefined),
      error: error instanceof Error ? (error.stack ?? why) : why,
    });
    return new RealizeError(
      "protocol",
      `${what} from peer ${this.peer} at ${this.address} could not be handled: ${why}`,
      { peer: this.peer, address: this.address },
      error,
    );
  }

  /** Acts on a message of the open connection; returns the violation it is, if any. */
  private dispatch(message: Message): RealizeError | undefined {
    switch (message.t) {
      case "hello":
        return new RealizeError("protocol", "a second hello");
      case "bye":
        this.farewell(message.err);
        break;
      case "req":
        return this.serve(message);
      case "res":
      case "err":
      case "chunk":
      case "end":
        this.outbound.get(message.id)?.reply(message);
        break;
      case "credit":
        this.inbound.get(message.id)?.addCredit(message.n);
        break;
      case "cancel":
        this.inbound
          .get(message.id)
          ?.abort(new RealizeError("cancelled", `peer ${this.peer} cancelled the request`));
        break;
    }
    return undefined;
  }

  private greet(message: Message): RealizeError | undefined {
    if (message.t === "bye") {
      this.farewell(message.err);
      return undefined;
    }
    if (message.t !== "hello") return new RealizeError("protocol", `"${message.t}" before hello`);
    const ours = this.options.version ?? PROTOCOL_VERSION;
    if (message.protocol !== PROTOCOL_NAME) {
      const theirs = message.protocol.slice(0, 64);
      return new RealizeError("protocol", `peer speaks "${theirs}", not ${PROTOCOL_NAME}`);
    }
    if (message.version !== ours) {
      return new RealizeError(
        "version_mismatch",
        `peer ${this.peer} speaks protocol version ${message.version}, this peer speaks version ${ours}`,
        { peer: this.peer, ours, theirs: message.version },
      );
    }
    clearTimeout(this.helloTimer);
    this.state = "open";
    this.settleReady();
    return undefined;
  }

  /** Starts serving a request, or refuses it; returns the violation it is, if any. */
  private serve(message: Extract<Message, { t: "req" }>): RealizeError | undefined {
    const { id, method } = message;
    if (this.inbound.has(id)) {
      return new RealizeError("protocol", `request id ${id} reused while in flight`);
    }
    const registration = this.options.service?.get(method);
    const refusal =
      this.inbound.size >= (this.options.maxInFlight ?? 256)
        ? new RealizeError("refused", "too many requests in flight on one connection", { method })
        : !registration
          ? new RealizeError("protocol", `peer has no method ${method}`, { method })
          : (registration.kind === "stream") !== (message.window !== undefined)
            ? new RealizeError("protocol", `${method} is a ${registration.kind} method`, { method })
            : undefined;
    if (refusal || !registration) {
      this.sendQuietly({ t: "err", id, err: refusal as RealizeError });
      return undefined;
    }
    const args = registration.method.args.decode(message.args);
    if (!args.ok) {
      return new RealizeError("protocol", `malformed arguments of ${method}: ${args.reason}`, {
        method,
      });
    }
    const request = new InboundRequest(this.inboundPort, id, registration, args.value, message);
    this.inbound.set(id, request);
    void request.run().finally(() => this.inbound.delete(id));
    return undefined;
  }

  private farewell(err: RealizeError | undefined): void {
    const reason =
      err &&
      new RealizeError(err.code, `peer ${this.peer} closed the connection: ${err.message}`, {
        ...err.data,
        peer: this.peer,
      });
    this.logger.log(reason ? "warn" : "info", "peer closed the connection", this.fields(reason));
    this.shutdown(
      reason ?? new RealizeError("unreachable", `peer ${this.peer} closed the connection`),
      reason,
    );
    this.channel.close();
  }

  /** The peer broke the protocol: log, tell it why, close. */
  private violation(reason: RealizeError): void {
    if (this.state === "closed") return;
    this.options.onViolation?.(reason);
    this.logger.log("warn", "closing connection", this.fields(reason));
    this.close(reason);
  }

  /** The link broke (a bad frame, an I/O error) or ended under us. */
  private lost(reason: RealizeError | undefined): void {
    if (this.state === "closed") return;
    if (reason?.code === "protocol") this.options.onViolation?.(reason);
    const event = reason?.code === "protocol" ? "closing connection" : "connection lost";
    this.logger.log(reason ? "warn" : "info", event, this.fields(reason));
    const error = reason
      ? new RealizeError(
          reason.code,
          `the connection to peer ${this.peer} at ${this.address} was lost: ${reason.message}`,
          { ...reason.data, peer: this.peer, address: this.address },
          reason,
        )
      : new RealizeError("unreachable", `peer ${this.peer} closed the connection`);
    this.shutdown(error, reason);
  }

  private shutdown(error: RealizeError, reason: RealizeError | undefined): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.helloTimer);
    this.settleReady(error);
    for (const request of [...this.outbound.values()]) request.fail(error);
    this.outbound.clear();
    for (const request of this.inbound.values()) request.abort(error);
    this.settleClosed(reason);
  }

  private fields(reason: RealizeError | undefined) {
    return { peer: this.peer, address: this.address, code: reason?.code, reason: reason?.message };
  }
}
