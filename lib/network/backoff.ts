import { RealizeError } from "../model/errors.ts";

/** Tuning of a Backoff; every field has a default. */
export interface BackoffOptions {
  /** Ceiling of the first wait. Default 500 ms. */
  initialMs?: number;
  /** No wait is ever longer than this. Default 30 s. */
  maxMs?: number;
  /** A number in [0, 1); Math.random unless a test fixes it. */
  random?: () => number;
}

/**
 * How long to wait before the next attempt to reach a peer: capped exponential backoff
 * with full jitter. The n-th wait since the last reset is drawn uniformly from
 * [0, min(maxMs, initialMs × 2^n)), so peers that lost each other at the same instant do
 * not redial in lockstep, and a peer that stays away is tried about twice per maxMs.
 * `reset()` starts over at the first ceiling.
 */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.random = options.random ?? Math.random;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs)) {
      throw new RealizeError(
        "internal",
        `backoff needs 0 < initialMs <= maxMs, not ${this.initialMs} and ${this.maxMs}`,
      );
    }
  }

  /** The ceiling the next wait is drawn under. */
  get ceiling(): number {
    return Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
  }

  /** The next wait in ms, in [0, ceiling); each call doubles the ceiling up to maxMs. */
  next(): number {
    const ceiling = this.ceiling;
    if (ceiling < this.maxMs) this.attempt++;
    const draw = Math.min(Math.max(this.random(), 0), 1 - Number.EPSILON);
    return draw * ceiling;
  }

  /** Starts over: the next wait is drawn under initialMs again. */
  reset(): void {
    this.attempt = 0;
  }
}
