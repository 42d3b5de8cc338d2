import { RealizeError } from "../model/errors.ts";
import { type Clock, systemClock } from "./clock.ts";

/** Default burst: this many seconds of the rate may pass at once after a quiet spell. */
const BURST_SECONDS = 0.1;
/** Pieces a paced stream is cut into: about this many seconds of the rate… */
const PIECE_SECONDS = 0.02;
/** …but never smaller or larger than these, so tiny rates still move and huge ones stay cheap. */
const PIECE_MIN = 1024;
const PIECE_MAX = 256 * 1024;
/** Shortest wait worth a timer (real timers are no finer), as long as the burst can hold it. */
const MIN_SLEEP_MS = 1;
/** Debts below this many bytes are float rounding, not bytes. */
const EPSILON = 1e-6;

interface Waiter {
  remaining: number;
  paid: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  detach: () => void;
}

function cancelled(): RealizeError {
  return new RealizeError(
    "cancelled",
    "the transfer was cancelled while waiting for its rate limit",
  );
}

function checkAmount(what: string, n: number): void {
  if (!Number.isFinite(n) || n < 0) {
    throw new RealizeError("internal", `${what} must be a finite number >= 0, not ${n}`, {
      [what]: n,
    });
  }
}

/**
 * A token bucket that caps the bytes per second passing one way to one peer. Tokens refill
 * at `rate` bytes/s up to `burst`; `take(n)` waits until n bytes may pass. Waiters are
 * served first come, first served; a take larger than the burst pays for itself in
 * installments and passes once fully paid, so it waits in proportion to its size and never
 * deadlocks. Over any span of T seconds at most `burst + rate × T` bytes pass. A rate of 0
 * or undefined means unlimited: takes pass at once and no timer is ever set.
 */
export class TokenBucket {
  private rateBps = 0;
  private capacity = 0;
  private explicitBurst: number | undefined;
  private tokens = 0;
  private last: number;
  private readonly queue: Waiter[] = [];
  private pumping = false;
  private wake: AbortController | undefined;

  constructor(
    rateBytesPerSecond?: number,
    burstBytes?: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.last = clock.now();
    this.setRate(rateBytesPerSecond, burstBytes);
    this.tokens = this.capacity;
  }

  /** Bytes per second, or 0 when unlimited. */
  get rate(): number {
    return this.rateBps;
  }

  /** Most bytes that pass at once after a quiet spell; 0 when unlimited. */
  get burst(): number {
    return this.capacity;
  }

  /** True when the bucket caps nothing. */
  get unlimited(): boolean {
    return this.rateBps === 0;
  }

  /** The size a paced stream should cut its data into: small enough to keep the flow smooth. */
  get pieceSize(): number {
    if (this.unlimited) return Number.POSITIVE_INFINITY;
    const ideal = Math.min(PIECE_MAX, Math.max(PIECE_MIN, this.rateBps * PIECE_SECONDS));
    return Math.max(1, Math.floor(Math.min(ideal, this.capacity)));
  }

  /**
   * Changes the rate (e.g. on a config reload). Takes already waiting are re-timed at the
   * new rate; tokens earned so far are kept up to the new burst. `burstBytes` defaults to
   * the burst given before, or else a tenth of a second of the rate.
   */
  setRate(rateBytesPerSecond?: number, burstBytes?: number): void {
    const rate = rateBytesPerSecond ?? 0;
    checkAmount("rate", rate);
    if (burstBytes !== undefined) {
      checkAmount("burst", burstBytes);
      if (burstBytes === 0) throw new RealizeError("internal", "burst must be more than 0 bytes");
      this.explicitBurst = burstBytes;
    }
    this.refill();
    this.rateBps = rate;
    this.capacity = rate === 0 ? 0 : (this.explicitBurst ?? Math.max(1, rate * BURST_SECONDS));
    this.tokens = Math.min(this.tokens, this.capacity);
    this.wake?.abort();
    if (this.unlimited) this.releaseAll();
  }

  /** Lets n bytes pass now if the tokens are there and nobody waits ahead; never waits. */
  tryTake(n: number): boolean {
    checkAmount("bytes", n);
    if (this.unlimited) return true;
    if (this.queue.length > 0) return false;
    this.refill();
    if (this.tokens + EPSILON < n) return false;
    this.tokens = Math.max(0, this.tokens - n);
    return true;
  }

  /**
   * Resolves once n bytes may pass. Rejects with RealizeError "cancelled" if `signal`
   * aborts first; tokens the take had already paid go back to the bucket.
   */
  take(n: number, signal?: AbortSignal): Promise<void> {
    checkAmount("bytes", n);
    if (signal?.aborted) return Promise.reject(cancelled());
    if (this.tryTake(n)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { remaining: n, paid: 0, resolve, reject, detach: () => {} };
      if (signal) {
        const onAbort = () => this.cancel(waiter);
        signal.addEventListener("abort", onAbort, { once: true });
        waiter.detach = () => signal.removeEventListener("abort", onAbort);
      }
      this.queue.push(waiter);
      if (!this.pumping) void this.pump();
    });
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.rateBps);
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (;;) {
        const head = this.queue[0];
        if (!head || this.unlimited) return;
        this.refill();
        const pay = Math.min(this.tokens, head.remaining);
        this.tokens -= pay;
        head.paid += pay;
        head.remaining -= pay;
        if (head.remaining <= EPSILON) {
          this.queue.shift();
          head.detach();
          head.resolve();
          continue;
        }
        const halfFull = (this.capacity / 2 / this.rateBps) * 1000;
        const owed = (head.remaining / this.rateBps) * 1000;
        const ms = Math.min(halfFull, Math.max(owed, MIN_SLEEP_MS));
        this.wake = new AbortController();
        await this.clock.sleep(ms, this.wake.signal);
        this.wake = undefined;
      }
    } finally {
      this.pumping = false;
    }
  }

  private cancel(waiter: Waiter): void {
    const at = this.queue.indexOf(waiter);
    if (at < 0) return;
    this.queue.splice(at, 1);
    this.refill();
    this.tokens = Math.min(this.capacity, this.tokens + waiter.paid);
    if (at === 0) this.wake?.abort();
    waiter.reject(cancelled());
  }

  private releaseAll(): void {
    for (const waiter of this.queue.splice(0)) {
      waiter.detach();
      waiter.resolve();
    }
  }
}
