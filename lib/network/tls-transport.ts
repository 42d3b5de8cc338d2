import type { KeyObject } from "node:crypto";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import type { HostPort, PeerConfig } from "../config/types.ts";
import { RealizeError } from "../model/errors.ts";
import type { Logger } from "../model/logger.ts";
import { encodePeerKey } from "../model/peer-key.ts";
import { ed25519KeyOfCertificate, selfSignedCertificatePem } from "./certificate.ts";
import { encodeFrame } from "./framing.ts";
import type { Link } from "./link.ts";
import { messageToWire } from "./wire.ts";

/**
 * TLS 1.3 links with pinned ED25519 keys. Each side presents a self-signed certificate for
 * its own key; the handshake's CertificateVerify proves the key is held, and trust is only
 * ever "this key is the one the config names": no CA, no hostname. A peer whose key is
 * unknown or not the expected one, or that cannot do TLS 1.3, is refused before a single
 * byte of RPC is read.
 */

/** This peer as TLS presents it: its name (the certificate's CN) and private key. */
export interface LocalIdentity {
  name: string;
  privateKey: KeyObject;
}

/** What trust needs to know of another peer: its name and pinned key. */
export type PinnedPeer = Pick<PeerConfig, "name" | "pubkey" | "pubkeyRaw">;

/** Where a dialled peer is. */
export type DialTarget = PinnedPeer & { address: HostPort };

function tlsOptions(
  identity: LocalIdentity,
): tls.SecureContextOptions & tls.CommonConnectionOptions {
  return {
    key: identity.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    cert: selfSignedCertificatePem(identity.privateKey, identity.name),
    minVersion: "TLSv1.3",
    maxVersion: "TLSv1.3",
    rejectUnauthorized: false,
  };
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function presentedKey(socket: tls.TLSSocket): Uint8Array | undefined {
  const raw = socket.getPeerCertificate(true)?.raw;
  return raw ? ed25519KeyOfCertificate(raw) : undefined;
}

function formatAddress(host: string | undefined, port: number | undefined): string {
  const h = host ?? "?";
  return `${h.includes(":") ? `[${h}]` : h}:${port ?? "?"}`;
}

/** Which configured peer a just-handshaken client is, or why it is refused. */
function identifyClient(
  socket: tls.TLSSocket,
  peers: Iterable<PinnedPeer>,
  address: string,
): PinnedPeer | RealizeError {
  const protocol = socket.getProtocol();
  if (protocol !== "TLSv1.3") {
    return new RealizeError("tls", `${address} negotiated ${protocol}, not TLSv1.3`, { address });
  }
  const key = presentedKey(socket);
  if (!key) {
    return new RealizeError("unknown_key", `${address} presented no ED25519 certificate`, {
      address,
    });
  }
  for (const peer of peers) if (sameKey(peer.pubkeyRaw, key)) return peer;
  const pubkey = encodePeerKey(key);
  return new RealizeError("unknown_key", `key ${pubkey} is not in this peer's config`, {
    address,
    key: pubkey,
  });
}

/** Tells a refused client why (one `bye` frame), then closes without reading anything it sent. */
function refuse(socket: tls.TLSSocket, reason: RealizeError): void {
  socket.on("error", () => {});
  socket.resume();
  socket.end(encodeFrame(messageToWire({ t: "bye", err: reason })));
  const timer = setTimeout(() => socket.destroy(), 2000);
  timer.unref?.();
  socket.once("close", () => clearTimeout(timer));
}

/** What `tlsListen` needs. */
export interface TlsListenOptions {
  identity: LocalIdentity;
  listen: HostPort;
  /** The household, asked at each handshake (so a reloaded config applies to the next one). */
  peers: () => Iterable<PinnedPeer>;
  logger: Logger;
  /** Called with each authenticated link; nothing has been read from it yet. */
  onLink: (link: Link) => void;
  /** Time a client has to finish the TLS handshake. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Called for each client turned away: "unknown_key", or "tls" for a failed handshake. */
  onRefused?: (reason: RealizeError) => void;
}

/** A listening TLS endpoint. */
export interface TlsListener {
  /** The address actually bound (the port is known even when 0 was asked for). */
  readonly address: HostPort;
  /** Stops accepting and destroys the links still open. */
  close(): Promise<void>;
}

/**
 * Accepts TLS 1.3 clients on `listen`. A client whose key is in `peers()` becomes a Link
 * named after that peer; any other client is refused and logged with its address, its key
 * and the reason.
 */
export function tlsListen(options: TlsListenOptions): Promise<TlsListener> {
  const { logger } = options;
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({
    ...tlsOptions(options.identity),
    requestCert: true,
    handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
  });
  server.on("secureConnection", (socket: tls.TLSSocket) => {
    const address = formatAddress(socket.remoteAddress, socket.remotePort);
    const peer = identifyClient(socket, options.peers(), address);
    if (peer instanceof RealizeError) {
      logger.log("warn", "refused connection", {
        address,
        code: peer.code,
        reason: peer.message,
        key: peer.data.key,
      });
      options.onRefused?.(peer);
      refuse(socket, peer);
      return;
    }
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
    logger.log("debug", "peer connected", { peer: peer.name, address });
    options.onLink({ peer: peer.name, address, stream: socket });
  });
  server.on("tlsClientError", (error: Error & { code?: string }, socket: tls.TLSSocket) => {
    const address = formatAddress(socket.remoteAddress, socket.remotePort);
    const reason =
      error.code === "ERR_SSL_UNSUPPORTED_PROTOCOL"
        ? `client offers no TLS 1.3 (${error.message})`
        : error.message;
    logger.log("warn", "TLS handshake failed", { address, code: "tls", reason });
    options.onRefused?.(new RealizeError("tls", `TLS handshake failed: ${reason}`, { address }));
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error: Error & { code?: string }) => {
      const address = formatAddress(options.listen.host, options.listen.port);
      const inUse = error.code === "EADDRINUSE";
      reject(
        new RealizeError(
          inUse ? "address_in_use" : "io",
          inUse
            ? `cannot listen on ${address}: the address is already in use`
            : `cannot listen on ${address}: ${error.message}`,
          { address },
          error,
        ),
      );
    });
    server.listen(options.listen.port, options.listen.host, () => {
      const bound = server.address() as AddressInfo;
      resolve({
        address: { host: bound.address, port: bound.port },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
]);

/** What `tlsDial` needs. */
export interface TlsDialOptions {
  identity: LocalIdentity;
  peer: DialTarget;
  /** Time allowed for connecting and the handshake. Default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Dials `peer` over TLS 1.3 and resolves with the link once the peer's certificate holds
 * exactly its pinned key. Rejects with "unreachable" (no connection), "tls" (handshake
 * failed), "key_mismatch" (another key answered: names the peer, the expected and the
 * presented key) or "cancelled".
 */
export function tlsDial(options: TlsDialOptions): Promise<Link> {
  const { peer } = options;
  const address = formatAddress(peer.address.host, peer.address.port);
  const data = { peer: peer.name, address };
  return new Promise<Link>((resolve, reject) => {
    const socket = tls.connect({
      ...tlsOptions(options.identity),
      host: peer.address.host,
      port: peer.address.port,
    });
    const disarm = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };
    const fail = (error: RealizeError) => {
      disarm();
      socket.destroy();
      reject(error);
    };
    const onAbort = () =>
      fail(new RealizeError("cancelled", `dialling peer ${peer.name} was cancelled`, data));
    const timeoutMs = options.timeoutMs ?? 10_000;
    const timer = setTimeout(
      () =>
        fail(
          new RealizeError(
            "unreachable",
            `peer ${peer.name} at ${address} did not answer within ${timeoutMs} ms`,
            { ...data, timeoutMs },
          ),
        ),
      timeoutMs,
    );
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    socket.on("error", (error: Error & { code?: string }) => {
      const code = error.code ?? "";
      if (UNREACHABLE.has(code)) {
        fail(
          new RealizeError(
            "unreachable",
            `cannot reach peer ${peer.name} at ${address}: ${error.message}`,
            { ...data, errno: code },
            error,
          ),
        );
      } else {
        fail(
          new RealizeError(
            "tls",
            `TLS with peer ${peer.name} at ${address} failed: ${error.message}`,
            { ...data, errno: code },
            error,
          ),
        );
      }
    });
    socket.once("secureConnect", () => {
      const protocol = socket.getProtocol();
      if (protocol !== "TLSv1.3") {
        return fail(
          new RealizeError(
            "tls",
            `peer ${peer.name} at ${address} negotiated ${protocol}, not TLSv1.3`,
            data,
          ),
        );
      }
      const key = presentedKey(socket);
      if (!key || !sameKey(key, peer.pubkeyRaw)) {
        const presented = key ? encodePeerKey(key) : "no ED25519 key";
        return fail(
          new RealizeError(
            "key_mismatch",
            `peer ${peer.name} at ${address} presented key ${presented}, but the config pins ${peer.pubkey}`,
            { ...data, expected: peer.pubkey, presented },
          ),
        );
      }
      disarm();
      resolve({ peer: peer.name, address, stream: socket });
    });
  });
}
