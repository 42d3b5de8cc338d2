/**
 * Worker thread of worker-calls.test.ts: answers `{ id, value }` with `{ id, doubled }`
 * after `delayMs`, and fails (an uncaught error) when asked to `crash`.
 */
declare const self: Worker;

self.onmessage = (
  event: MessageEvent<{ id: number; value: number; delayMs: number; crash?: boolean }>,
) => {
  const { id, value, delayMs, crash } = event.data;
  if (crash) throw new Error("asked to crash");
  setTimeout(() => self.postMessage({ id, doubled: value * 2 }), delayMs);
};
