import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RealizeError } from "../model/errors.ts";
import { paceIncoming, rateLimitedStream } from "./rate-limited-stream.ts";
import { TokenBucket } from "./token-bucket.ts";
import { VirtualClock } from "./virtual-clock.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const SECONDS = 10;

interface Arrival {
  at: number;
  size: number;
}

function* endless(chunk: Uint8Array): Generator<Uint8Array> {
  for (;;) yield chunk;
}

/**
 * Reads `stream` for `ms` of virtual time and returns when each piece came out. The stream
 * is left open, so a test can read on after changing something.
 */
async function drain(
  clock: VirtualClock,
  stream: AsyncIterator<Uint8Array>,
  ms: number,
): Promise<Arrival[]> {
  const start = clock.now();
  const arrivals: Arrival[] = [];
  await clock.run(
    (async () => {
      while (clock.now() - start < ms) {
        const next = await stream.next();
        if (next.done) break;
        arrivals.push({ at: clock.now() - start, size: next.value.length });
      }
    })(),
  );
  return arrivals.filter((a) => a.at < ms);
}

/** Most bytes that came out within any `window` ms (two pointers over the arrivals). */
function busiestWindow(arrivals: Arrival[], window: number): number {
  let best = 0;
  let sum = 0;
  let from = 0;
  for (const a of arrivals) {
    sum += a.size;
    while (arrivals[from]!.at <= a.at - window) sum -= arrivals[from++]!.size;
    best = Math.max(best, sum);
  }
  return best;
}

const total = (arrivals: Arrival[]) => arrivals.reduce((sum, a) => sum + a.size, 0);

const RATES = [64 * KiB, 1 * MiB, 5_000_000, 100 * MiB];
const CHUNKS = [1, 1500, 64 * KiB, 4 * MiB];
/** Pairs that need more than this many pieces in 10 s measure the CPU, not the pacing. */
const MOST_PIECES = 1_000_000;
const CASES = RATES.flatMap((rate) => CHUNKS.map((chunk) => [rate, chunk] as const)).filter(
  ([rate, chunk]) => (rate * SECONDS) / chunk <= MOST_PIECES,
);

describe("rateLimitedStream over 10 simulated seconds", () => {
  test.each(CASES)(
    "%d B/s in chunks of %d B: within 2 per cent of the rate",
    async (rate, chunk) => {
      const clock = new VirtualClock();
      const bucket = new TokenBucket(rate, undefined, clock);
      const arrivals = await drain(
        clock,
        rateLimitedStream(endless(new Uint8Array(chunk)), bucket),
        SECONDS * 1000,
      );
      const measured = total(arrivals) / SECONDS;
      expect(Math.abs(measured / rate - 1)).toBeLessThan(0.02);
      const piece = bucket.pieceSize;
      expect(arrivals.every((a) => a.size <= piece)).toBe(true);
      for (const window of [10, 100, 1000]) {
        expect(busiestWindow(arrivals, window)).toBeLessThanOrEqual(
          bucket.burst + (rate * window) / 1000 + 1e-6,
        );
      }
    },
  );

  test("after the reader stalls, no more than one burst comes out at once", async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket(1 * MiB, undefined, clock);
    const stream = rateLimitedStream(endless(new Uint8Array(64 * KiB)), bucket);
    await drain(clock, stream, 1000);
    clock.advance(30_000);
    const after = await drain(clock, stream, 1000);
    expect(total(after)).toBeGreaterThan(0);
    expect(busiestWindow(after, 1)).toBeLessThanOrEqual(bucket.burst + 1 * KiB);
  });

  test("a rate change mid-stream takes effect", async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket(1 * MiB, undefined, clock);
    const stream = rateLimitedStream(endless(new Uint8Array(64 * KiB)), bucket);
    await drain(clock, stream, 1000);
    bucket.setRate(4 * MiB);
    const after = await drain(clock, stream, SECONDS * 1000);
    expect(Math.abs(total(after) / SECONDS / (4 * MiB) - 1)).toBeLessThan(0.02);
  });
});

describe("rateLimitedStream bytes", () => {
  test("the bytes come out unchanged, cut at most to the piece size", async () => {
    const chunks = fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 20 });
    await fc.assert(
      fc.asyncProperty(chunks, fc.integer({ min: 1, max: 100_000 }), async (input, rate) => {
        const clock = new VirtualClock();
        const bucket = new TokenBucket(rate, undefined, clock);
        const out: Uint8Array[] = [];
        await clock.run(
          (async () => {
            for await (const piece of rateLimitedStream(input, bucket)) out.push(piece);
          })(),
        );
        expect(Buffer.concat(out)).toEqual(Buffer.concat(input));
        expect(out.every((piece) => piece.length <= bucket.pieceSize)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test("unlimited passes the very same chunks through without a timer", async () => {
    const input = [new Uint8Array(10 * MiB), new Uint8Array(1), new Uint8Array(0)];
    const out: Uint8Array[] = [];
    const clock = new VirtualClock();
    for await (const piece of rateLimitedStream(input, new TokenBucket(0, undefined, clock))) {
      out.push(piece);
      expect(clock.pending).toBe(0);
    }
    expect(out).toHaveLength(3);
    for (const [i, piece] of out.entries()) expect(piece).toBe(input[i]!);
  });

  test("aborting the signal ends the stream with cancelled", async () => {
    const clock = new VirtualClock();
    const abort = new AbortController();
    const bucket = new TokenBucket(64 * KiB, undefined, clock);
    const stream = rateLimitedStream(endless(new Uint8Array(4 * KiB)), bucket, {
      signal: abort.signal,
    });
    const error = await clock
      .run(
        (async () => {
          for await (const _ of stream) if (clock.now() > 2000) abort.abort();
        })(),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RealizeError);
    expect((error as RealizeError).code).toBe("cancelled");
  });
});

describe("paceIncoming", () => {
  test("yields chunks whole and holds the next read until the last one is paid", async () => {
    const clock = new VirtualClock();
    const rate = 1 * MiB;
    const bucket = new TokenBucket(rate, undefined, clock);
    const chunk = new Uint8Array(256 * KiB);
    const start = clock.now();
    const reads: number[] = [];
    let received = 0;
    async function* socket() {
      for (;;) {
        reads.push(clock.now() - start);
        yield chunk;
      }
    }
    await clock.run(
      (async () => {
        for await (const got of paceIncoming(socket(), bucket)) {
          expect(got).toBe(chunk);
          if (clock.now() - start >= SECONDS * 1000) break;
          received += got.length;
        }
      })(),
    );
    expect(Math.abs(received / SECONDS / rate - 1)).toBeLessThan(0.05);
    reads.forEach((at, k) => {
      const paidBefore = k * chunk.length;
      expect(at).toBeGreaterThanOrEqual(((paidBefore - bucket.burst) / rate) * 1000 - 1e-6);
    });
  });
});
