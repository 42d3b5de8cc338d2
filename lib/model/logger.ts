/**
 * The daemon's event log: one line per event on stderr, naming the peer, address, file or
 * key involved as `key=value` fields. Passed in (never a global), so tests can capture the
 * entries and assert on the reason a connection was closed.
 */

/** How much an event matters; `debug` lines are dropped unless asked for. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Facts about an event: peer, address, reason, key, path… Plain values only. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** One logged event. */
export interface LogEntry {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** Where events go. Implementations never throw. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function formatValue(value: string | number | boolean | null): string {
  const text = String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** `level message key=value …` on one line; newlines in values are escaped. */
export function formatLogEntry(entry: LogEntry): string {
  const fields = Object.entries(entry.fields)
    .filter((pair): pair is [string, string | number | boolean | null] => pair[1] !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return [entry.level, JSON.stringify(entry.message).slice(1, -1), ...fields].join(" ");
}

/** Writes entries at `minLevel` and above to stderr, one line each. */
export function stderrLogger(minLevel: LogLevel = "info"): Logger {
  return {
    log(level, message, fields = {}) {
      if (RANK[level] < RANK[minLevel]) return;
      process.stderr.write(`realize: ${formatLogEntry({ level, message, fields })}\n`);
    },
  };
}

/** A logger that keeps every entry in memory, for tests. */
export interface CapturingLogger extends Logger {
  readonly entries: LogEntry[];
}

/** Keeps every entry (all levels) in `entries`, in order. */
export function capturingLogger(): CapturingLogger {
  const entries: LogEntry[] = [];
  return {
    entries,
    log(level, message, fields = {}) {
      entries.push({ level, message, fields: { ...fields } });
    },
  };
}

/** Drops everything. */
export const silentLogger: Logger = { log() {} };
