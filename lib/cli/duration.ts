const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration like `90`, `45s`, `5m`, `1h30m` or `250ms` into milliseconds (a bare
 * number is seconds). Returns a reason string for anything else: negative, empty, unknown
 * unit.
 */
export function parseDuration(text: string): number | string {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed) {
    return `"${text}" is not a duration: use seconds or a number with a unit, like 90s, 5m, 1h30m`;
  }
  let ms = 0;
  for (const [, value, unit] of parts)
    ms += Number(value) * (UNIT_SECONDS[unit ?? "s"] ?? 1) * 1000;
  return Math.round(ms);
}
