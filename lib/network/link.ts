import type { Duplex } from "node:stream";

/**
 * An authenticated byte stream to one peer: the bottom of the network stack. A TLS link
 * exists only once the peer's key has been checked against the config; an in-memory link
 * is authenticated by construction. Wrappers (framing, later rate limiting and metrics)
 * stack on `stream`.
 */
export interface Link {
  /** The configured name of the peer at the other end, as proven by its key. */
  readonly peer: string;
  /** Where the other end is, for logs: `127.0.0.1:51234`, or `memory` for a pipe. */
  readonly address: string;
  /** The bytes in both directions; ending or destroying it closes the link. */
  readonly stream: Duplex;
}
