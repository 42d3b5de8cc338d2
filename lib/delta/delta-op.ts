import { RealizeError } from "../model/errors.ts";

/** Most bytes one literal op carries, so a delta streams as frames of bounded size. */
export const MAX_LITERAL = 256 * 1024;

/** Copy `count` (default 1) consecutive blocks of the receiver's base, from block `block`. */
export interface CopyOp {
  readonly op: "copy";
  readonly block: number;
  readonly count?: number;
}

/** New bytes the receiver does not have (1 to MAX_LITERAL of them). */
export interface LiteralOp {
  readonly op: "literal";
  readonly data: Uint8Array;
}

/**
 * One step of a delta: the new content is the concatenation of its ops, in order. Plain
 * data, so an op is one CBOR value on the wire; check ops from a peer with `checkDeltaOp`.
 */
export type DeltaOp = CopyOp | LiteralOp;

/**
 * Checks a value received from a peer against a base of `blocks` blocks: a copy within
 * the base (whole numbers, count ≥ 1), or a literal of 1 to MAX_LITERAL bytes. Returns it
 * typed, or throws RealizeError("protocol") naming what is wrong.
 */
export function checkDeltaOp(value: unknown, blocks: number): DeltaOp {
  if (typeof value !== "object" || value === null) throw badOp("it is not a record");
  const op = value as Record<string, unknown>;
  if (op.op === "copy") {
    const { block, count = 1 } = op;
    if (!isWhole(block) || block < 0 || block >= blocks) {
      throw badOp(`copy of block ${String(block)} outside the base's ${blocks} blocks`);
    }
    if (!isWhole(count) || count < 1 || block + count > blocks) {
      throw badOp(`copy of ${String(count)} blocks from block ${block} past the base's ${blocks}`);
    }
    return value as CopyOp;
  }
  if (op.op === "literal") {
    const { data } = op;
    if (!(data instanceof Uint8Array) || data.length < 1 || data.length > MAX_LITERAL) {
      throw badOp(`literal is not 1 to ${MAX_LITERAL} bytes`);
    }
    return value as LiteralOp;
  }
  throw badOp(`unknown op ${JSON.stringify(String(op.op))}`);
}

function isWhole(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value);
}

function badOp(reason: string): RealizeError {
  return new RealizeError(
    "protocol",
    `refused a delta from the peer: ${reason}; the peer runs an incompatible or faulty realize`,
    { reason },
  );
}
