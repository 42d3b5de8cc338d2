import { afterEach, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import * as net from "node:net";
import { rejection } from "../../../fixtures/rejection.ts";
import type { Identity } from "../../config/identity.ts";
import type { Config, HostPort } from "../../config/types.ts";
import { silentLogger } from "../../model/logger.ts";
import { encodePeerKey } from "../../model/peer-key.ts";
import { ed25519KeyFromSpki } from "../../network/certificate.ts";
import { RpcConnection } from "../../network/rpc-connection.ts";
import { testPeer } from "../../network/tls-test-support.ts";
import { tlsListen } from "../../network/tls-transport.ts";
import { pingPeer } from "./ping-peer.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function identity(): Identity {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const raw = ed25519KeyFromSpki(publicKey.export({ type: "spki", format: "der" }))!;
  return { file: "", privateKey, publicKey, publicKeyRaw: raw, pubkey: encodePeerKey(raw) };
}

const self = identity();
const beta = testPeer("beta");

function config(address: HostPort): Config {
  return {
    file: "/tmp/alpha.toml",
    peer: { name: "alpha", listen: { host: "127.0.0.1", port: 1 } },
    peers: { beta: { ...beta.pinned, address } },
    arenas: {},
  };
}

/** A peer "beta" that knows alpha but speaks protocol `version`. */
async function betaSpeaking(version: number): Promise<HostPort> {
  const listener = await tlsListen({
    identity: beta,
    listen: { host: "127.0.0.1", port: 0 },
    peers: () => [{ name: "alpha", pubkey: self.pubkey, pubkeyRaw: self.publicKeyRaw }],
    logger: silentLogger,
    onLink: (link) => new RpcConnection(link, { version }),
  });
  closers.push(() => listener.close());
  return listener.address;
}

/** A plain TCP server on 127.0.0.1; closed (with its sockets) after the test. */
async function rawServer(onSocket: (socket: net.Socket) => void): Promise<HostPort> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { host: "127.0.0.1", port: (server.address() as net.AddressInfo).port };
}

describe("pingPeer", () => {
  test("a peer on another protocol version: version_mismatch naming both versions", async () => {
    const error = await rejection(pingPeer(config(await betaSpeaking(99)), self, "beta"));
    expect(error.code).toBe("version_mismatch");
    expect(error.message).toContain("99");
  });

  test("something that is not TLS on the address: a TLS error", async () => {
    const address = await rawServer((socket) => socket.end("SSH-2.0-OpenSSH_9.6\r\n"));
    const error = await rejection(pingPeer(config(address), self, "beta"));
    expect(error.code).toBe("tls");
    expect(error.data.peer).toBe("beta");
  });

  test("a peer that accepts but never answers: unreachable after the time given", async () => {
    const address = await rawServer(() => {});
    const error = await rejection(pingPeer(config(address), self, "beta", { timeoutMs: 200 }));
    expect(error.code).toBe("unreachable");
    expect(error.message).toContain("200 ms");
  });
});
