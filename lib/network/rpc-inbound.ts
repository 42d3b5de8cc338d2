import { isRealizeError, RealizeError } from "../model/errors.ts";
import type { Logger } from "../model/logger.ts";
import type { Registration, RequestContext } from "./service.ts";
import type { Message } from "./wire.ts";

/**
 * The callee's side of one request: runs the handler with a signal that aborts on cancel,
 * deadline or connection loss, sends the result or error, and for a stream pulls the next
 * chunk from the handler only while the caller has granted credit.
 */

/** How a request being served reaches its connection. */
export interface InboundPort {
  readonly peer: string;
  readonly address: string;
  readonly logger: Logger;
  /** Sends a message; false when the link is full (await `drained`); throws when closed. */
  send(message: Message): boolean;
  drained(): Promise<void>;
}

/** One request being served. */
export class InboundRequest {
  private readonly controller = new AbortController();
  private credit: number;
  private wake: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly port: InboundPort,
    private readonly id: number,
    private readonly registration: Registration,
    private readonly args: unknown,
    options: { timeout?: number; window?: number },
  ) {
    this.credit = options.window ?? 0;
    if (options.timeout !== undefined) {
      const method = registration.method.name;
      this.timer = setTimeout(
        () =>
          this.abort(
            new RealizeError("timeout", `${method} for peer ${port.peer} passed its deadline`, {
              peer: port.peer,
              method,
            }),
          ),
        options.timeout,
      );
    }
  }

  /** The caller granted `n` more chunks. */
  addCredit(n: number): void {
    this.credit += n;
    this.resume();
  }

  /** Stops the handler: its signal aborts with `reason`; nothing more is sent. */
  abort(reason: RealizeError): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(reason);
    this.resume();
  }

  /** Runs the handler to its end and sends the outcome (unless aborted). Never throws. */
  async run(): Promise<void> {
    const context: RequestContext = {
      peer: this.port.peer,
      address: this.port.address,
      signal: this.controller.signal,
    };
    try {
      if (this.registration.kind === "call") {
        const { method, handler } = this.registration;
        const result = await handler(this.args, context);
        if (!this.aborted)
          this.port.send({ t: "res", id: this.id, ok: method.result.encode(result) });
      } else {
        await this.pump(this.registration, context);
      }
    } catch (error) {
      if (!this.aborted) this.sendError(error);
    } finally {
      if (this.timer !== undefined) clearTimeout(this.timer);
    }
  }

  private get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  private async pump(
    registration: Extract<Registration, { kind: "stream" }>,
    context: RequestContext,
  ): Promise<void> {
    const { method, handler } = registration;
    const source = handler(this.args, context);
    const iterator =
      Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
    try {
      for (;;) {
        await this.creditAvailable();
        if (this.aborted) return;
        const next = await iterator.next();
        if (next.done || this.aborted) break;
        this.credit--;
        if (!this.port.send({ t: "chunk", id: this.id, data: method.chunk.encode(next.value) })) {
          await this.port.drained();
        }
      }
      if (!this.aborted) this.port.send({ t: "end", id: this.id });
    } finally {
      if (this.aborted) await iterator.return?.();
    }
  }

  private creditAvailable(): Promise<void> {
    if (this.credit > 0 || this.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private resume(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private sendError(error: unknown): void {
    if (!isRealizeError(error)) {
      this.port.logger.log("error", "request handler failed", {
        peer: this.port.peer,
        address: this.port.address,
        method: this.registration.method.name,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
    const sent = isRealizeError(error)
      ? error
      : new RealizeError(
          "internal",
          `internal error in ${this.registration.method.name} on the peer`,
        );
    try {
      this.port.send({ t: "err", id: this.id, err: sent });
    } catch {}
  }
}
