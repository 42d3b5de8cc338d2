import type { RealizeError } from "../model/errors.ts";

/** Why a peer's input was refused, as a metrics label: a small fixed set. */
export type FrameErrorReason =
  | "too_large"
  | "empty"
  | "bad_cbor"
  | "truncated"
  | "bad_message"
  | "bad_arguments"
  | "no_hello"
  | "protocol";

/**
 * The metrics label for a protocol violation reported by RpcConnection's `onViolation`,
 * read from the facts the framing, wire and RPC layers put in the error's data: a frame
 * over the limit or empty, undecodable CBOR, a frame cut short, a message or arguments
 * that fail their schema, a peer that never said hello; anything else is "protocol".
 */
export function frameErrorReason(error: RealizeError): FrameErrorReason {
  const { data } = error;
  if (typeof data.maxFrame === "number") return data.size === 0 ? "empty" : "too_large";
  if (typeof data.received === "number") return "truncated";
  if (typeof data.size === "number") return "bad_cbor";
  if (typeof data.kind === "string") return "bad_message";
  if (typeof data.method === "string" && error.message.startsWith("malformed arguments")) {
    return "bad_arguments";
  }
  if (typeof data.ms === "number") return "no_hello";
  return "protocol";
}
