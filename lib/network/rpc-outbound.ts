import { RealizeError } from "../model/errors.ts";
import type { CallMethod, StreamMethod } from "./method.ts";
import type { Message } from "./wire.ts";

/**
 * The caller's side of one request: waiting for a result (`OutboundCall`) or consuming a
 * stream of chunks with a credit window (`OutboundStream`). Both stop on cancellation,
 * deadline or connection loss, and tell the callee to stop with a `cancel`.
 */

/** A reply message to one of our requests. */
export type ReplyMessage = Extract<Message, { t: "res" | "err" | "chunk" | "end" }>;

/** How a request reaches the connection it runs on. */
export interface OutboundPort {
  readonly peer: string;
  /** Sends a message; throws RealizeError when the connection is gone. */
  send(message: Message): void;
  /** The request is over: replies to `id` from now on are ignored. */
  forget(id: number): void;
  /** The peer broke the protocol: close the connection for `reason`. */
  violation(reason: RealizeError): void;
}

/** When a caller gives up on a request. */
export interface CallOptions {
  /** Absolute time (ms since the epoch, as Date.now()) after which the request fails with "timeout". */
  deadline?: number;
  /** Aborting it cancels the request ("cancelled"); the callee is told to stop. */
  signal?: AbortSignal;
}

/** One request in flight, as the connection sees it. */
export interface Outbound {
  /** True once the request has its outcome (or was cancelled). */
  readonly done: boolean;
  reply(message: ReplyMessage): void;
  /** Ends the request without a reply (connection lost or closed). */
  fail(error: RealizeError): void;
}

/**
 * Arms `options`' deadline and signal for request `id`: `stop` gets the error to finish
 * with. Returns the disarm function.
 */
function watch(
  port: OutboundPort,
  method: string,
  options: CallOptions,
  stop: (error: RealizeError) => void,
): () => void {
  const { deadline, signal } = options;
  const data = { peer: port.peer, method };
  const onAbort = () =>
    stop(new RealizeError("cancelled", `${method} on peer ${port.peer} was cancelled`, data));
  signal?.addEventListener("abort", onAbort, { once: true });
  const timer =
    deadline === undefined
      ? undefined
      : setTimeout(
          () =>
            stop(
              new RealizeError(
                "timeout",
                `${method} on peer ${port.peer} passed its deadline ${new Date(deadline).toISOString()}`,
                { ...data, deadline },
              ),
            ),
          Math.max(0, deadline - Date.now()),
        );
  return () => {
    signal?.removeEventListener("abort", onAbort);
    if (timer !== undefined) clearTimeout(timer);
  };
}

function malformed(what: string, method: string, reason: string): RealizeError {
  return new RealizeError("protocol", `malformed ${what} of ${method}: ${reason}`, { method });
}

/** The remaining milliseconds to send with a request, so the callee stops in time too. */
export function timeoutOf(options: CallOptions): number | undefined {
  return options.deadline === undefined
    ? undefined
    : Math.max(0, Math.ceil(options.deadline - Date.now()));
}

/** A request answered by one result. */
export class OutboundCall<R> implements Outbound {
  readonly result: Promise<R>;
  private settle!: { resolve: (value: R) => void; reject: (error: RealizeError) => void };
  private disarm: () => void = () => {};
  private finished = false;

  constructor(
    private readonly port: OutboundPort,
    private readonly id: number,
    private readonly method: CallMethod<unknown, R>,
    options: CallOptions,
  ) {
    this.result = new Promise<R>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    if (options.signal?.aborted) {
      this.finish(new RealizeError("cancelled", `${method.name} was cancelled before it was sent`));
      return;
    }
    this.disarm = watch(port, method.name, options, (error) => this.stop(error));
  }

  reply(message: ReplyMessage): void {
    if (message.t === "err") {
      this.finish(message.err);
    } else if (message.t !== "res") {
      this.port.violation(
        new RealizeError("protocol", `stream reply "${message.t}" to the call ${this.method.name}`),
      );
    } else {
      const decoded = this.method.result.decode(message.ok);
      if (decoded.ok) this.finish(undefined, decoded.value);
      else this.port.violation(malformed("result", this.method.name, decoded.reason));
    }
  }

  fail(error: RealizeError): void {
    this.finish(error);
  }

  private stop(error: RealizeError): void {
    if (this.finished) return;
    this.finish(error);
    try {
      this.port.send({ t: "cancel", id: this.id });
    } catch {}
  }

  private finish(error: RealizeError | undefined, value?: R): void {
    if (this.finished) return;
    this.finished = true;
    this.disarm();
    this.port.forget(this.id);
    if (error) this.settle.reject(error);
    else this.settle.resolve(value as R);
  }

  /** True once the call has its outcome. */
  get done(): boolean {
    return this.finished;
  }
}

/**
 * A request answered by chunks. The callee may send `window` chunks ahead; each time half
 * the window has been consumed, that many credits are granted again, so at most `window`
 * chunks are ever buffered here. Breaking out of `for await` cancels the stream.
 */
export class OutboundStream<C> implements Outbound, AsyncIterableIterator<C> {
  private readonly queue: C[] = [];
  private waiter:
    | { resolve: (r: IteratorResult<C>) => void; reject: (e: unknown) => void }
    | undefined;
  private outcome: "open" | "ended" | RealizeError = "open";
  private granted: number;
  private received = 0;
  private consumedSinceGrant = 0;
  private disarm: () => void = () => {};

  constructor(
    private readonly port: OutboundPort,
    private readonly id: number,
    private readonly method: StreamMethod<unknown, C>,
    private readonly window: number,
    options: CallOptions,
  ) {
    this.granted = window;
    if (options.signal?.aborted) {
      this.finish(new RealizeError("cancelled", `${method.name} was cancelled before it was sent`));
      return;
    }
    this.disarm = watch(port, method.name, options, (error) => this.stop(error));
  }

  /** True once the stream has ended, failed or been cancelled. */
  get done(): boolean {
    return this.outcome !== "open";
  }

  reply(message: ReplyMessage): void {
    if (this.outcome !== "open") return;
    if (message.t === "err") {
      this.finish(message.err);
    } else if (message.t === "end") {
      this.finish("ended");
    } else if (message.t === "res") {
      this.port.violation(
        new RealizeError("protocol", `a result instead of chunks for ${this.method.name}`),
      );
    } else if (++this.received > this.granted) {
      this.port.violation(
        new RealizeError(
          "protocol",
          `chunk ${this.received} of ${this.method.name} exceeds the ${this.granted} granted`,
          { method: this.method.name },
        ),
      );
    } else {
      const decoded = this.method.chunk.decode(message.data);
      if (decoded.ok) this.deliver(decoded.value);
      else this.port.violation(malformed("chunk", this.method.name, decoded.reason));
    }
  }

  private deliver(value: C): void {
    const waiter = this.waiter;
    if (!waiter) {
      this.queue.push(value);
      return;
    }
    this.waiter = undefined;
    this.consumed();
    waiter.resolve({ value, done: false });
  }

  fail(error: RealizeError): void {
    this.finish(error);
  }

  next(): Promise<IteratorResult<C>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift() as C;
      this.consumed();
      return Promise.resolve({ value, done: false });
    }
    if (this.outcome === "ended") return Promise.resolve({ value: undefined, done: true });
    if (this.outcome !== "open") return Promise.reject(this.outcome);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Stops the stream early (what `break` in `for await` does); the callee is told to stop. */
  return(): Promise<IteratorResult<C>> {
    this.stop(new RealizeError("cancelled", `${this.method.name} was stopped by the caller`));
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private consumed(): void {
    if (this.outcome !== "open") return;
    this.consumedSinceGrant++;
    if (this.consumedSinceGrant * 2 < this.window) return;
    const n = this.consumedSinceGrant;
    this.consumedSinceGrant = 0;
    this.granted += n;
    try {
      this.port.send({ t: "credit", id: this.id, n });
    } catch {}
  }

  private stop(error: RealizeError): void {
    if (this.outcome !== "open") return;
    this.queue.length = 0;
    this.finish(error);
    try {
      this.port.send({ t: "cancel", id: this.id });
    } catch {}
  }

  private finish(outcome: "ended" | RealizeError): void {
    if (this.outcome !== "open") return;
    this.outcome = outcome;
    this.disarm();
    this.port.forget(this.id);
    const waiter = this.waiter;
    this.waiter = undefined;
    if (!waiter) return;
    if (outcome === "ended") waiter.resolve({ value: undefined, done: true });
    else waiter.reject(outcome);
  }
}
