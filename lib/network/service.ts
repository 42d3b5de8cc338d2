import { RealizeError } from "../model/errors.ts";
import type { CallMethod, StreamMethod } from "./method.ts";

/** What a handler knows about the request it serves. */
export interface RequestContext {
  /** The configured name of the calling peer, as proven by its key. */
  readonly peer: string;
  /** Where the caller is, for logs. */
  readonly address: string;
  /**
   * Aborted when the caller cancels, its deadline passes or the connection closes; the
   * reason is a RealizeError ("cancelled", "timeout", "unreachable"). Long work checks it.
   */
  readonly signal: AbortSignal;
}

/** Serves one call: returns the result or throws (a RealizeError reaches the caller as is). */
export type CallHandler<A, R> = (args: A, context: RequestContext) => R | Promise<R>;

/**
 * Serves one stream: yields chunks. The next chunk is only pulled once the caller has room
 * for it, so a generator reading a file reads no further ahead than the caller's window.
 * Large byte strings in a chunk are sent from their own memory (framing.ts), so a handler
 * yields fresh buffers and never changes one it has yielded.
 */
export type StreamHandler<A, C> = (
  args: A,
  context: RequestContext,
) => AsyncIterable<C> | Iterable<C>;

/** A registered handler with its method, types erased. */
export type Registration =
  | { kind: "call"; method: CallMethod<unknown, unknown>; handler: CallHandler<unknown, unknown> }
  | {
      kind: "stream";
      method: StreamMethod<unknown, unknown>;
      handler: StreamHandler<unknown, unknown>;
    };

/**
 * The methods one side of a connection answers. Both sides of a connection may have one:
 * RPC runs in both directions over the same link.
 */
export class Service {
  private readonly handlers = new Map<string, Registration>();

  /** Answers `method` with `handler`; a name can be registered once. */
  on<A, R>(method: CallMethod<A, R>, handler: CallHandler<A, R>): this {
    return this.add({
      kind: "call",
      method: method as CallMethod<unknown, unknown>,
      handler: handler as CallHandler<unknown, unknown>,
    });
  }

  /** Answers the stream `method` with `handler`. */
  onStream<A, C>(method: StreamMethod<A, C>, handler: StreamHandler<A, C>): this {
    return this.add({
      kind: "stream",
      method: method as StreamMethod<unknown, unknown>,
      handler: handler as StreamHandler<unknown, unknown>,
    });
  }

  /** The handler for a method name, if this side offers it. */
  get(name: string): Registration | undefined {
    return this.handlers.get(name);
  }

  private add(registration: Registration): this {
    const name = registration.method.name;
    if (this.handlers.has(name)) {
      throw new RealizeError("internal", `RPC method ${name} is registered twice`, {
        method: name,
      });
    }
    this.handlers.set(name, registration);
    return this;
  }
}
