const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** A byte count for humans: `0 B`, `12.3 KiB`, `1.50 GiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`;
}

/** A rate in bytes per second for humans. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** A duration in seconds as `42s`, `3m05s` or `2h07m`; `?` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Throughput and time left of a job from its progress so far. */
export function rateAndEta(
  done: number,
  total: number,
  elapsedMs: number,
): { rate: number; etaSeconds: number } {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const etaSeconds = rate > 0 ? (total - done) / rate : Number.NaN;
  return { rate, etaSeconds };
}

/**
 * A path as part of one log line: as it is, or JSON-quoted when it holds a control
 * character (a newline in a file name must not split the line, an escape must not reach
 * the terminal).
 */
export function formatPath(path: string): string {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return JSON.stringify(path);
  }
  return path;
}
