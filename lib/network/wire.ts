import * as v from "valibot";
import { type ErrorData, isErrorCode, isRealizeError, RealizeError } from "../model/errors.ts";

/**
 * The RPC envelope on the wire and its one conversion to and from domain values. Every
 * decoded frame goes through `messageFromWire` before anything acts on it; errors cross as
 * `{code, message, data}` and come back as a RealizeError with the same code and data.
 *
 * Directions: `req`, `credit` and `cancel` go from the caller to the callee; `res`, `err`,
 * `chunk` and `end` answer them; `hello` and `bye` open and close the connection. Each side
 * numbers its own requests, so ids of the two directions never mix.
 */

/** Protocol name in the hello; a peer saying anything else is not a realize peer. */
export const PROTOCOL_NAME = "realize";
/** Largest stream window or credit grant accepted in one message. */
export const MAX_CREDIT = 1 << 20;

/** An error as it crosses the wire. */
export interface WireError {
  code: string;
  message: string;
  data: Record<string, string | number | boolean | null | undefined>;
}

/** The messages of the protocol, with errors as RealizeError. */
export type Message =
  | { t: "hello"; protocol: string; version: number }
  | { t: "bye"; err?: RealizeError }
  | { t: "req"; id: number; method: string; args: unknown; timeout?: number; window?: number }
  | { t: "res"; id: number; ok: unknown }
  | { t: "err"; id: number; err: RealizeError }
  | { t: "chunk"; id: number; data: unknown }
  | { t: "end"; id: number }
  | { t: "credit"; id: number; n: number }
  | { t: "cancel"; id: number };

const id = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const scalar = v.union([v.string(), v.number(), v.boolean(), v.null(), v.undefined()]);
const wireError = v.object({
  code: v.pipe(v.string(), v.maxLength(64)),
  message: v.pipe(v.string(), v.maxLength(64 * 1024)),
  data: v.record(v.string(), scalar),
});
const credit = v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(MAX_CREDIT));

const MessageSchema = v.variant("t", [
  v.looseObject({ t: v.literal("hello"), protocol: v.string(), version: v.number() }),
  v.object({ t: v.literal("bye"), err: v.optional(wireError) }),
  v.object({
    t: v.literal("req"),
    id,
    method: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
    args: v.unknown(),
    timeout: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
    window: v.optional(credit),
  }),
  v.object({ t: v.literal("res"), id, ok: v.unknown() }),
  v.object({ t: v.literal("err"), id, err: wireError }),
  v.object({ t: v.literal("chunk"), id, data: v.unknown() }),
  v.object({ t: v.literal("end"), id }),
  v.object({ t: v.literal("credit"), id, n: credit }),
  v.object({ t: v.literal("cancel"), id }),
]);

/** An error as sent to a peer: a RealizeError keeps code, message and data; anything else is "internal" with no detail. */
export function errorToWire(error: unknown): WireError {
  if (!isRealizeError(error)) {
    return { code: "internal", message: "internal error on the peer", data: {} };
  }
  const data: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(error.data)) if (value !== undefined) data[key] = value;
  return { code: error.code, message: error.message, data };
}

/** The RealizeError a peer sent; an unknown code (from a newer peer) becomes "internal". */
export function errorFromWire(wire: WireError): RealizeError {
  const data: ErrorData = { ...wire.data };
  if (isErrorCode(wire.code)) return new RealizeError(wire.code, wire.message, data);
  return new RealizeError("internal", wire.message, { ...data, remoteCode: wire.code });
}

/**
 * The wire form of a message, ready for a frame: errors as `{code, message, data}`, no
 * undefined fields.
 */
export function messageToWire(message: Message): unknown {
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    if (value !== undefined) wire[key] = value instanceof RealizeError ? errorToWire(value) : value;
  }
  return wire;
}

/**
 * The message a decoded frame holds, or a RealizeError("protocol") saying what is wrong
 * with it (which field, what was expected). Never throws.
 */
export function messageFromWire(value: unknown): Message | RealizeError {
  const parsed = v.safeParse(MessageSchema, value);
  if (!parsed.success) {
    return new RealizeError("protocol", `malformed message: ${describeIssues(parsed.issues)}`, {
      kind: kindOf(value),
    });
  }
  const message = parsed.output;
  if (message.t === "err") return { ...message, err: errorFromWire(message.err) };
  if (message.t === "bye") {
    return message.err === undefined ? { t: "bye" } : { t: "bye", err: errorFromWire(message.err) };
  }
  return message as Message;
}

/** One short line naming the first few schema failures and where they are. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => {
      const path = v.getDotPath(issue);
      const text = issue.message.length > 160 ? `${issue.message.slice(0, 160)}…` : issue.message;
      return path ? `${path}: ${text}` : text;
    })
    .join("; ");
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value !== "object") return typeof value;
  const t = (value as { t?: unknown }).t;
  return typeof t === "string" ? t.slice(0, 32) : "object";
}
