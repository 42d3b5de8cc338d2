import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RealizeError } from "../model/errors.ts";
import type { Clock } from "./clock.ts";
import { TokenBucket } from "./token-bucket.ts";
import { VirtualClock } from "./virtual-clock.ts";

/** The bucket never sets a timer shorter than this (but may overshoot by it). */
const MIN_SLEEP_MS = 1;

/** A clock that fails the test if anyone sleeps on it. */
const noSleepClock: Clock = {
  now: () => 0,
  sleep: () => {
    throw new Error("slept on an unlimited bucket");
  },
};

async function expectCancelled(p: Promise<unknown>): Promise<void> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RealizeError);
  expect((error as RealizeError).code).toBe("cancelled");
}

describe("TokenBucket unlimited", () => {
  test.each([undefined, 0])("rate %p passes everything at once and sets no timer", async (rate) => {
    const bucket = new TokenBucket(rate, undefined, noSleepClock);
    expect(bucket.unlimited).toBe(true);
    expect(bucket.tryTake(1e12)).toBe(true);
    await bucket.take(1e12);
    await bucket.take(0);
  });

  test("setRate(0) releases takes that were waiting", async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket(100, 100, clock);
    await bucket.take(100);
    const waiting = bucket.take(1_000_000);
    bucket.setRate(0);
    await waiting;
    expect(clock.now()).toBe(1000);
  });
});

describe("TokenBucket timing on a virtual clock", () => {
  test("the first burst passes at once, then bytes pass at the rate", async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket(1000, 200, clock);
    expect(bucket.tryTake(200)).toBe(true);
    expect(bucket.tryTake(1)).toBe(false);
    await clock.run(bucket.take(500));
    expect(clock.now()).toBeCloseTo(500, 6);
  });

  test("a take far larger than the burst waits in proportion and completes", async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket(1000, 10, clock);
    await clock.run(bucket.take(10 + 20_000));
    expect(clock.now()).toBeCloseTo(20_000, 6);
  });

  test("tokens refill while idle but never beyond the burst", async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket(1000, 300, clock);
    expect(bucket.tryTake(300)).toBe(true);
    clock.advance(100);
    expect(bucket.tryTake(101)).toBe(false);
    expect(bucket.tryTake(100)).toBe(true);
    clock.advance(60_000);
    expect(bucket.tryTake(301)).toBe(false);
    expect(bucket.tryTake(300)).toBe(true);
  });

  test("waiters are served first come, first served, and tryTake does not jump the queue", async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket(100, 100, clock);
    await bucket.take(100);
    const order: string[] = [];
    const a = bucket.take(50).then(() => order.push(`a@${clock.now()}`));
    const b = bucket.take(10).then(() => order.push(`b@${clock.now()}`));
    expect(bucket.tryTake(1)).toBe(false);
    await clock.run(Promise.all([a, b]));
    expect(order).toEqual(["a@500", "b@600"]);
  });

  test("setRate re-times a take that is already waiting", async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket(10, 10, clock);
    await bucket.take(10);
    let doneAt = -1;
    const waiting = bucket.take(100).then(() => {
      doneAt = clock.now();
    });
    await clock.run(clock.sleep(1000));
    expect(doneAt).toBe(-1);
    bucket.setRate(1000);
    await clock.run(waiting);
    expect(doneAt).toBeCloseTo(1000 + 90, 6);
  });

  test("without an explicit burst, the burst follows the rate", () => {
    const bucket = new TokenBucket(1_000_000, undefined, new VirtualClock());
    expect(bucket.burst).toBe(100_000);
    bucket.setRate(5_000_000);
    expect(bucket.burst).toBe(500_000);
    expect(bucket.pieceSize).toBeLessThanOrEqual(bucket.burst);
  });

  test("any sequence of takes finishes at (total - burst) / rate, late by one short timer at most", () => {
    const takes = fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { maxLength: 20 });
    const rates = fc.integer({ min: 1, max: 200 * 1024 * 1024 });
    const burstSeconds = fc.double({ min: 0.001, max: 2, noNaN: true });
    return fc.assert(
      fc.asyncProperty(rates, burstSeconds, takes, async (rate, seconds, inBursts) => {
        const clock = new VirtualClock(0);
        const burst = Math.max(1, rate * seconds);
        const bucket = new TokenBucket(rate, burst, clock);
        const sizes = inBursts.map((k) => Math.round(k * burst));
        const passed: Array<{ at: number; total: number }> = [];
        let total = 0;
        await clock.run(
          Promise.all(
            sizes.map((n) =>
              bucket.take(n).then(() => {
                total += n;
                passed.push({ at: clock.now(), total });
              }),
            ),
          ),
        );
        const expected = (Math.max(0, total - burst) / rate) * 1000;
        expect(clock.now()).toBeGreaterThanOrEqual(expected - 1e-6);
        expect(clock.now()).toBeLessThanOrEqual(expected + MIN_SLEEP_MS + 1e-6);
        for (const p of passed) {
          expect(p.total).toBeLessThanOrEqual(burst + (rate * p.at) / 1000 + 1e-3);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("TokenBucket cancellation", () => {
  test("an aborted signal rejects with cancelled, already aborted or while waiting", async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket(100, 100, clock);
    await expectCancelled(bucket.take(1, AbortSignal.abort()));
    await bucket.take(100);
    const abort = new AbortController();
    const waiting = bucket.take(1000, abort.signal);
    await clock.run(clock.sleep(200));
    abort.abort();
    await expectCancelled(waiting);
  });

  test("a cancelled take gives back what it paid and lets the next one through", async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket(100, 100, clock);
    await bucket.take(100);
    const abort = new AbortController();
    const first = bucket.take(1000, abort.signal);
    const second = bucket.take(70);
    await clock.run(clock.sleep(700));
    abort.abort();
    await expectCancelled(first);
    await clock.run(second);
    expect(clock.now()).toBe(700);
  });

  test("aborting after the take passed changes nothing", async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket(100, 100, clock);
    const abort = new AbortController();
    await bucket.take(50, abort.signal);
    abort.abort();
    expect(bucket.tryTake(50)).toBe(true);
  });
});

describe("TokenBucket arguments", () => {
  test.each([
    ["negative rate", () => new TokenBucket(-1)],
    ["NaN rate", () => new TokenBucket(Number.NaN)],
    ["zero burst", () => new TokenBucket(10, 0)],
    ["negative take", () => new TokenBucket(10).tryTake(-5)],
  ])("%s is refused", (_name, make) => {
    expect(make).toThrow(RealizeError);
  });
});
