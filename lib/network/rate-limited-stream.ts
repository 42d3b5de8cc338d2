import type { TokenBucket } from "./token-bucket.ts";

/** What a paced stream may be stopped by. */
export interface PaceOptions {
  /** Aborting it makes the stream throw RealizeError "cancelled" at its next wait. */
  signal?: AbortSignal;
}

async function pass(bucket: TokenBucket, n: number, signal: AbortSignal | undefined) {
  if (!bucket.tryTake(n)) await bucket.take(n, signal);
}

/**
 * Sending side: yields the bytes of `source` no faster than `bucket` allows. Chunks larger
 * than the bucket's piece size are cut into views of that size (no copy), so the flow stays
 * smooth instead of going in bursts of whole chunks. Each piece is yielded only once its
 * bytes are paid for. With an unlimited bucket the chunks pass through untouched.
 */
export async function* rateLimitedStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  bucket: TokenBucket,
  options: PaceOptions = {},
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    const piece = bucket.pieceSize;
    if (chunk.length <= piece) {
      await pass(bucket, chunk.length, options.signal);
      yield chunk;
      continue;
    }
    for (let at = 0; at < chunk.length; at += piece) {
      const part = chunk.subarray(at, Math.min(chunk.length, at + piece));
      await pass(bucket, part.length, options.signal);
      yield part;
    }
  }
}

/**
 * Receiving side: yields each chunk of `source` as it arrives, then pays for it before
 * asking `source` for more. Bytes already received cannot be slowed down, but holding the
 * next read back lets backpressure reach the sender, so the average stays at the rate.
 */
export async function* paceIncoming(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  bucket: TokenBucket,
  options: PaceOptions = {},
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    yield chunk;
    await pass(bucket, chunk.length, options.signal);
  }
}
