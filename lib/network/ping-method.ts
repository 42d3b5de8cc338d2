import * as v from "valibot";
import { type CallMethod, callMethod, schemaCodec } from "./method.ts";

/** What a peer answers to a ping. */
export interface PingReply {
  /** The answering peer's own name ([peer] name in its config). */
  peer: string;
  /** Its wall clock, in ms since the epoch, when it answered. */
  time: number;
}

/**
 * `realize.ping`: the cheapest request a peer answers, used by `realize ping` to measure
 * the round trip once both sides are authenticated and past hello.
 */
export const pingMethod: CallMethod<Record<string, never>, PingReply> = callMethod("realize.ping", {
  args: schemaCodec(v.strictObject({})),
  result: schemaCodec(
    v.strictObject({
      peer: v.pipe(v.string(), v.maxLength(64)),
      time: v.pipe(v.number(), v.finite()),
    }),
  ),
});
