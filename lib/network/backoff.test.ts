import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Backoff } from "./backoff.ts";

const ceilings = (backoff: Backoff, n: number) =>
  Array.from({ length: n }, () => {
    const ceiling = backoff.ceiling;
    backoff.next();
    return ceiling;
  });

describe("Backoff", () => {
  test("ceilings double from initialMs and stop at maxMs", () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.5 });
    expect(ceilings(backoff, 7)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  test.each([
    [0, 0],
    [0.5, 200],
    [0.999, 399.6],
  ])("full jitter: random %p gives %p ms under a ceiling of 400", (random, wait) => {
    const backoff = new Backoff({ initialMs: 400, maxMs: 1000, random: () => random });
    expect(backoff.next()).toBeCloseTo(wait, 6);
  });

  test("a random of 1 or more still waits less than the ceiling", () => {
    const backoff = new Backoff({ initialMs: 400, maxMs: 400, random: () => 1 });
    expect(backoff.next()).toBeLessThan(400);
  });

  test("reset starts over at the first ceiling", () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 10_000, random: () => 0.99 });
    ceilings(backoff, 5);
    expect(backoff.ceiling).toBe(3200);
    backoff.reset();
    expect(backoff.ceiling).toBe(100);
    expect(backoff.next()).toBeLessThan(100);
  });

  test("every wait is in [0, maxMs) whatever the draws", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 60 }),
        (initialMs, extra, draws) => {
          let i = 0;
          const backoff = new Backoff({
            initialMs,
            maxMs: initialMs + extra,
            random: () => draws[i++ % draws.length] ?? 0,
          });
          for (const _ of draws) {
            const ceiling = backoff.ceiling;
            const wait = backoff.next();
            if (wait < 0 || wait >= ceiling || ceiling > initialMs + extra) return false;
          }
          return true;
        },
      ),
    );
  });

  test("refuses a maxMs below initialMs", () => {
    expect(() => new Backoff({ initialMs: 100, maxMs: 50 })).toThrow("initialMs <= maxMs");
  });
});
