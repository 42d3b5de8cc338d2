import { BlockTable, MIX } from "./block-table.ts";
import { checkSignature } from "./check-signature.ts";
import { type DeltaOp, MAX_LITERAL } from "./delta-op.ts";
import { weakChecksum } from "./rolling-checksum.ts";
import type { Signature } from "./signature.ts";
import { blockDigest, sameStrong } from "./strong-hash.ts";

/**
 * The sender's side of a delta: given the receiver's signature, reads the new content as
 * chunks of any sizes and describes it as copies of the receiver's blocks and literal
 * bytes. Finds blocks at any byte offset (content shifted by an insertion or deletion is
 * still copied), coalesces runs of consecutive blocks into one op, and splits literals into
 * ops of at most MAX_LITERAL bytes. Memory stays bounded by a few blocks plus one pending
 * literal, whatever the file size.
 *
 * On unchanged content it expects the block after the last match and checks only its
 * strong hash, so the cost is one BLAKE2b pass; elsewhere it rolls the weak checksum byte
 * by byte and checks the strong hash only where a weak checksum matches.
 */
export class DeltaEncoder {
  readonly #table: BlockTable;
  readonly #buf: Uint8Array;
  /** Pending literal is [#litStart, #pos); the search window starts at #pos; data ends at #end. */
  #litStart = 0;
  #pos = 0;
  #end = 0;
  /** The weak checksum's sums a and b over the window at #pos, while #weakValid. */
  readonly #sums = new Int32Array(2);
  #weakValid = false;
  #predicted: number;
  #runBlock = 0;
  #runCount = 0;
  #out: DeltaOp[] = [];
  #finished = false;
  #literalBytes = 0;
  #copiedBytes = 0;

  /** Throws RealizeError("protocol") when the signature is malformed. */
  constructor(sig: Signature) {
    this.#table = new BlockTable(checkSignature(sig));
    this.#buf = new Uint8Array(4 * (sig.blockSize + MAX_LITERAL));
    this.#predicted = this.#table.count > 0 ? 0 : -1;
  }

  /** New bytes sent as literals so far. */
  get literalBytes(): number {
    return this.#literalBytes;
  }

  /** New bytes described as copies of the receiver's blocks so far. */
  get copiedBytes(): number {
    return this.#copiedBytes;
  }

  /** Takes the next bytes of the new content; returns the ops now decided (often none). */
  update(chunk: Uint8Array): DeltaOp[] {
    if (this.#finished) throw new Error("DeltaEncoder.update after finish");
    const capacity = this.#buf.length;
    for (let offset = 0; offset < chunk.length; ) {
      if (capacity - this.#end < capacity / 2) this.#compact();
      const take = Math.min(capacity - this.#end, chunk.length - offset);
      this.#buf.set(chunk.subarray(offset, offset + take), this.#end);
      this.#end += take;
      offset += take;
      this.#scan();
    }
    return this.#drain();
  }

  /** Ends the content; returns the last ops. The encoder must not be used afterwards. */
  finish(): DeltaOp[] {
    if (this.#finished) throw new Error("DeltaEncoder.finish called twice");
    this.#finished = true;
    const t = this.#table;
    const last = t.count - 1;
    const tailStart = this.#end - t.lastLength;
    if (t.lastLength > 0 && t.lastLength < t.blockSize && tailStart >= this.#pos) {
      const digest = blockDigest(this.#buf, tailStart, t.lastLength);
      if (t.matches(last, weakChecksum(this.#buf, tailStart, t.lastLength), digest)) {
        this.#emitLiteralTo(tailStart);
        this.#pos = tailStart;
        this.#match(last, t.lastLength);
      }
    }
    this.#emitLiteralTo(this.#end);
    this.#flushRun();
    return this.#drain();
  }

  #scan(): void {
    const t = this.#table;
    const bs = t.blockSize;
    const buf = this.#buf;
    const sums = this.#sums;
    for (;;) {
      const avail = this.#end - this.#pos;
      if (this.#predicted >= 0) {
        const block = this.#predicted;
        const len = t.lengthOf(block);
        if (avail < len) return;
        const digest = blockDigest(buf, this.#pos, len);
        if (sameStrong(digest, t.strongs, block * t.strongLength, t.strongLength)) {
          this.#match(block, len);
          continue;
        }
        this.#predicted = -1;
      }
      if (avail < bs) return;
      if (!this.#weakValid) {
        const packed = weakChecksum(buf, this.#pos, bs);
        sums[0] = packed & 0xffff;
        sums[1] = packed >>> 16;
        this.#weakValid = true;
      }
      const limit = Math.min(this.#end - bs, this.#litStart + MAX_LITERAL);
      let p = this.#pos;
      let found = -1;
      for (;;) {
        p = rollToCandidate(buf, p, limit, sums, t);
        if (p < 0) {
          p = -p - 1;
          break;
        }
        found = t.find(sums[0]! | (sums[1]! << 16), blockDigest(buf, p, bs));
        if (found >= 0 || p >= limit) break;
        rollOnce(buf, p, bs, sums);
        p++;
      }
      this.#pos = p;
      if (found >= 0) {
        this.#match(found, bs);
      } else if (p - this.#litStart >= MAX_LITERAL) {
        this.#emitLiteralTo(p);
      } else {
        return;
      }
    }
  }

  #match(block: number, len: number): void {
    this.#emitLiteralTo(this.#pos);
    if (this.#runCount > 0 && this.#runBlock + this.#runCount === block) {
      this.#runCount++;
    } else {
      this.#flushRun();
      this.#runBlock = block;
      this.#runCount = 1;
    }
    this.#pos += len;
    this.#litStart = this.#pos;
    this.#copiedBytes += len;
    this.#predicted = block + 1 < this.#table.count ? block + 1 : -1;
    this.#weakValid = false;
  }

  /** Emits the pending literal up to `target` as ops of at most MAX_LITERAL bytes. */
  #emitLiteralTo(target: number): void {
    if (this.#litStart >= target) return;
    this.#flushRun();
    while (this.#litStart < target) {
      const size = Math.min(MAX_LITERAL, target - this.#litStart);
      this.#out.push({
        op: "literal",
        data: this.#buf.slice(this.#litStart, this.#litStart + size),
      });
      this.#litStart += size;
      this.#literalBytes += size;
    }
  }

  #flushRun(): void {
    if (this.#runCount === 0) return;
    this.#out.push(
      this.#runCount === 1
        ? { op: "copy", block: this.#runBlock }
        : { op: "copy", block: this.#runBlock, count: this.#runCount },
    );
    this.#runCount = 0;
  }

  #compact(): void {
    const from = this.#litStart;
    if (from === 0) return;
    this.#buf.copyWithin(0, from, this.#end);
    this.#litStart = 0;
    this.#pos -= from;
    this.#end -= from;
  }

  #drain(): DeltaOp[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }
}

/**
 * Rolls the weak checksum (sums a, b) from the window at `start` on, until a window whose
 * checksum some block has (returns its offset) or the window at `limit` (returns
 * −limit − 1). The encoder's hot loop: integer arithmetic and one filter load per byte,
 * nothing allocated; a function of its own so the JIT compiles it as one tight loop.
 */
function rollToCandidate(
  buf: Uint8Array,
  start: number,
  limit: number,
  sums: Int32Array,
  table: BlockTable,
): number {
  const { blockSize: bs, filter, filterShift, head, shift, next, weaks } = table;
  let a = sums[0]!;
  let b = sums[1]!;
  let p = start;
  for (;;) {
    const w = a | (b << 16);
    const slot = Math.imul(w, MIX) >>> filterShift;
    if ((filter[slot >>> 5]! & (1 << (slot & 31))) !== 0) {
      let j = head[Math.imul(w, MIX) >>> shift]!;
      while (j !== 0 && weaks[j - 1] !== w) j = next[j - 1]!;
      if (j !== 0) break;
    }
    if (p >= limit) {
      p = -p - 1;
      break;
    }
    const out = buf[p]!;
    a = (a - out + buf[p + bs]!) & 0xffff;
    b = (b - bs * out + a) & 0xffff;
    p++;
  }
  sums[0] = a;
  sums[1] = b;
  return p;
}

function rollOnce(buf: Uint8Array, p: number, bs: number, sums: Int32Array): void {
  const out = buf[p]!;
  const a = (sums[0]! - out + buf[p + bs]!) & 0xffff;
  sums[0] = a;
  sums[1] = (sums[1]! - bs * out + a) & 0xffff;
}

/**
 * The delta of new content (a stream of chunks) against the receiver's signature, as a
 * stream of ops; see DeltaEncoder.
 */
export async function* encodeDelta(
  sig: Signature,
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncGenerator<DeltaOp> {
  const encoder = new DeltaEncoder(sig);
  for await (const chunk of source) yield* encoder.update(chunk);
  yield* encoder.finish();
}
