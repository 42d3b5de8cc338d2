import { isRealizeError, type RealizeError } from "../../model/errors.ts";

/** Codes of the errors that mean the peer or the connection is gone. */
const FATAL = new Set([
  "unreachable",
  "protocol",
  "version_mismatch",
  "tls",
  "not_shared",
  "cancelled",
]);

/** True for an error that means the peer or the connection is gone: it stops the whole job. */
export function isFatalError(e: unknown): e is RealizeError {
  return isRealizeError(e) && FATAL.has(e.code);
}
