/**
 * Typed errors of realize. Every error has a stable `code` (never renamed: it crosses the
 * wire and reaches scripts), a `data` object naming the file, peer or key involved, and an
 * optional `cause`. The CLI maps codes to exit codes and messages in lib/cli/exit-codes.ts;
 * the RPC layer sends `{code, message, data}` and rebuilds the same class on the other side.
 */

/** The stable error codes; one per kind of failure a user or a peer can act on. */
export const ERROR_CODES = [
  "usage",
  "config",
  "config_missing",
  "key_exists",
  "key_missing",
  "unknown_peer",
  "unknown_arena",
  "bad_path",
  "io",
  "disk_full",
  "not_found",
  "unreachable",
  "address_in_use",
  "already_running",
  "unknown_key",
  "key_mismatch",
  "tls",
  "version_mismatch",
  "protocol",
  "refused",
  "not_shared",
  "cancelled",
  "timeout",
  "hash_mismatch",
  "changed",
  "partial_failure",
  "interrupted",
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Extra facts about an error: which file, line, key, peer, path. Plain JSON-safe values. */
export type ErrorData = Record<string, string | number | boolean | null | undefined>;

/** Base class of every error realize throws on purpose. */
export class RealizeError extends Error {
  readonly code: ErrorCode;
  readonly data: ErrorData;

  constructor(code: ErrorCode, message: string, data: ErrorData = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "RealizeError";
    this.code = code;
    this.data = data;
  }
}

/** Tells whether a value is one of ours, whatever module instance created it. */
export function isRealizeError(e: unknown): e is RealizeError {
  return e instanceof RealizeError;
}

/** The message of a thrown value: an Error's message, anything else as text. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** True when `code` is one of the stable codes (used when decoding errors from a peer). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code);
}

/** Bad command-line usage: a flag or argument that cannot be taken as given. */
export function usageError(message: string, data: ErrorData = {}): RealizeError {
  return new RealizeError("usage", message, data);
}

/** A config problem, always pointing at the file, and where known the line and key. */
export function configError(
  message: string,
  data: { file: string; line?: number; key?: string },
): RealizeError {
  return new RealizeError("config", message, data);
}

/**
 * Wraps a Node/Bun system error (ENOENT, ENOSPC, EACCES…) as a RealizeError naming the
 * file and the operation, so the user learns what failed where.
 */
export function ioError(op: string, file: string, cause: unknown): RealizeError {
  const sys = (cause as { code?: unknown })?.code;
  const sysCode = typeof sys === "string" ? sys : undefined;
  const code: ErrorCode =
    sysCode === "ENOSPC" || sysCode === "EDQUOT"
      ? "disk_full"
      : sysCode === "ENOENT"
        ? "not_found"
        : "io";
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new RealizeError(
    code,
    `cannot ${op} ${file}: ${reason}`,
    { file, op, errno: sysCode },
    cause,
  );
}
