import type { Clock } from "./clock.ts";

interface Timer {
  at: number;
  seq: number;
  wake: () => void;
}

/**
 * A Clock for tests: time stands still until the test advances it, and `run` drives a
 * promise to completion by jumping from timer to timer, so pacing code runs in simulated
 * seconds without real waiting. Timers due at the same instant fire in the order set.
 */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 1000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** How many sleeps are pending right now. */
  get pending(): number {
    return this.timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, wake: () => {} };
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        resolve();
      };
      timer.wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.timers.push(timer);
    });
  }

  /** Moves time to the earliest pending timer and fires every timer due then; false if none. */
  fireNext(): boolean {
    if (this.timers.length === 0) return false;
    const at = Math.min(...this.timers.map((t) => t.at));
    this.time = Math.max(this.time, at);
    const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.seq - b.seq);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.wake();
    return true;
  }

  /** Moves time forward by `ms` without firing anything (as if the process was busy). */
  advance(ms: number): void {
    this.time += ms;
  }

  /**
   * Settles `work` on virtual time: lets pending callbacks run, then fires the next timer,
   * until `work` settles. Throws if it can never settle (nothing pending, no timer set).
   */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (settled) return watched;
      if (!this.fireNext()) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (settled) return watched;
        throw new Error("VirtualClock.run: the work waits on nothing that can happen");
      }
    }
  }
}
