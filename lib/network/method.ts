import * as v from "valibot";
import { describeIssues } from "./wire.ts";

/**
 * RPC method definitions shared by the caller and the callee. Each value that crosses the
 * wire has a codec: `decode` validates what arrived and turns it into the domain value (or
 * says what is wrong), `encode` turns a domain value into plain CBOR-able data. Services
 * (push, pull, history…) define their methods with `callMethod` / `streamMethod`.
 */

/** Converts one kind of value between the wire and the domain. */
export interface Codec<T> {
  decode(wire: unknown): { ok: true; value: T } | { ok: false; reason: string };
  encode(value: T): unknown;
}

/**
 * A codec from a valibot schema (which may transform, e.g. bytes into a Hash) and the
 * inverse `encode` (identity when the schema does not transform).
 */
export function schemaCodec<S extends v.GenericSchema>(
  schema: S,
  encode: (value: v.InferOutput<S>) => unknown = (value) => value,
): Codec<v.InferOutput<S>> {
  return {
    decode(wire) {
      const parsed = v.safeParse(schema, wire);
      return parsed.success
        ? { ok: true, value: parsed.output }
        : { ok: false, reason: describeIssues(parsed.issues) };
    },
    encode,
  };
}

/** A request answered by one result. */
export interface CallMethod<A, R> {
  readonly kind: "call";
  readonly name: string;
  readonly args: Codec<A>;
  readonly result: Codec<R>;
}

/** A request answered by a stream of chunks, sent as the caller grants credit. */
export interface StreamMethod<A, C> {
  readonly kind: "stream";
  readonly name: string;
  readonly args: Codec<A>;
  readonly chunk: Codec<C>;
}

/** Either kind of method, with its types erased (for registries). */
export type AnyMethod = CallMethod<unknown, unknown> | StreamMethod<unknown, unknown>;

/** Defines a request/result method. */
export function callMethod<A, R>(
  name: string,
  codecs: { args: Codec<A>; result: Codec<R> },
): CallMethod<A, R> {
  return { kind: "call", name, ...codecs };
}

/** Defines a request/stream method. */
export function streamMethod<A, C>(
  name: string,
  codecs: { args: Codec<A>; chunk: Codec<C> },
): StreamMethod<A, C> {
  return { kind: "stream", name, ...codecs };
}
