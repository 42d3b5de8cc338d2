/**
 * Sizes and rates as users write them in the config and on the command line (CLI.md):
 * a whole number of bytes, or a string with a unit. Decimal units (KB, MB, GB, TB; `kB` is
 * accepted for KB) are powers of 1000, binary units (KiB, MiB, GiB, TiB) powers of 1024.
 * Units are case-sensitive on purpose: `20Mb/s` reads like megabits and is refused rather
 * than taken as megabytes. A decimal fraction is allowed when the result is a whole number
 * of bytes (`1.5GiB` yes, `1.5B` no), computed exactly, without floating point rounding.
 * One space between number and unit is allowed (`10 GiB`). Rates may end in `/s`.
 * Parsers return the number of bytes, or a reason string saying what is wrong.
 */

const UNITS: Record<string, bigint> = {
  B: 1n,
  KB: 1000n,
  kB: 1000n,
  MB: 1000n ** 2n,
  GB: 1000n ** 3n,
  TB: 1000n ** 4n,
  KiB: 1024n,
  MiB: 1024n ** 2n,
  GiB: 1024n ** 3n,
  TiB: 1024n ** 4n,
};
const UNIT_LIST = "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB";
const SHAPE = /^(\d*)(?:\.(\d*))?( ?)(.*)$/;

/** Parses a size (e.g. `cache_max`): bytes ≥ 0, or the reason it is not a size. */
export function parseSize(value: string | number): number | string {
  if (typeof value === "string" && value.endsWith("/s")) {
    return `a size takes no "/s" (that is for rates): "${value}"`;
  }
  return parseBytes(value, "size");
}

/** Parses a rate in bytes per second (e.g. `max_rate`): bytes/s ≥ 1, or the reason. */
export function parseRate(value: string | number): number | string {
  const text = typeof value === "string" && value.endsWith("/s") ? value.slice(0, -2) : value;
  const bytes = parseBytes(text, "rate");
  if (bytes === 0) return "a rate must be more than 0 bytes/s (leave it out for no cap)";
  return bytes;
}

function parseBytes(value: string | number, what: "size" | "rate"): number | string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return `must be a number of bytes, not ${value}`;
    if (value < 0) return `must not be negative, not ${value}`;
    if (!Number.isInteger(value)) {
      return `must be a whole number of bytes, not ${value} (or a string with a unit, like "1.5GiB")`;
    }
    if (!Number.isSafeInteger(value)) return `is too large: ${value} (at most 8 PiB)`;
    return value;
  }
  const example = what === "size" ? `"10GiB"` : `"20MB/s"`;
  if (value.trim() === "") return `must not be empty; write a ${what} like ${example}`;
  if (value.startsWith("-")) return `must not be negative, not "${value}"`;
  const m = SHAPE.exec(value);
  const whole = m?.[1] ?? "";
  const fraction = m?.[2];
  const space = m?.[3] ?? "";
  const unit = m?.[4] ?? "";
  if (!m || whole === "" || fraction === "") {
    return `"${value}" is not a ${what}: write a number with an optional unit, like ${example}`;
  }
  if (unit === "" && space !== "") return `"${value}" has a trailing space`;
  const multiplier = unit === "" ? 1n : UNITS[unit];
  if (multiplier === undefined) {
    return `unknown unit "${unit}" in "${value}"; units are ${UNIT_LIST} (case matters)`;
  }
  const digits = fraction ?? "";
  const scale = 10n ** BigInt(digits.length);
  const numerator = BigInt(whole + digits || "0") * multiplier;
  if (numerator % scale !== 0n) return `"${value}" is not a whole number of bytes`;
  const bytes = numerator / scale;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) return `"${value}" is too large (at most 8 PiB)`;
  return Number(bytes);
}

/**
 * Renders bytes for people, exactly when a unit allows one decimal at most (`5GiB`, `1.5MB`),
 * otherwise approximately in binary units with one decimal (`1.5MiB`).
 */
export function formatSize(bytes: number): string {
  const exact = (["TiB", "TB", "GiB", "GB", "MiB", "MB", "KiB", "KB"] as const).find(
    (unit) => bytes >= Number(UNITS[unit]) && (bytes * 10) % Number(UNITS[unit]) === 0,
  );
  if (exact) return `${bytes / Number(UNITS[exact])}${exact}`;
  const binary = (["TiB", "GiB", "MiB", "KiB"] as const).find(
    (unit) => bytes >= Number(UNITS[unit]),
  );
  if (!binary) return `${bytes}B`;
  return `${(bytes / Number(UNITS[binary])).toFixed(1)}${binary}`;
}
