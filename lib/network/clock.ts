/**
 * Time as the network layer sees it: a monotonic clock and a way to wait on it. Code that
 * paces or times out takes a Clock so tests can run it on virtual time without sleeping.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences mean anything. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds, or as soon as `signal` aborts. Never rejects, so a
   * caller woken early simply looks at `now()` again.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
    });
  },
};
