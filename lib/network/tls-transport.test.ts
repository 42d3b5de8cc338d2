import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import * as net from "node:net";
import * as tls from "node:tls";
import { rejection } from "../../fixtures/rejection.ts";
import { capturingLogger } from "../model/logger.ts";
import { selfSignedCertificatePem } from "./certificate.ts";
import { encodeFrame } from "./framing.ts";
import type { Link } from "./link.ts";
import { RpcConnection } from "./rpc-connection.ts";
import { RpcServer } from "./rpc-server.ts";
import { HELLO, testMethods as m, TestProbe, testService } from "./rpc-test-support.ts";
import { testPeer } from "./tls-test-support.ts";
import { type DialTarget, type TlsListener, tlsDial, tlsListen } from "./tls-transport.ts";

const alpha = testPeer("alpha");
const beta = testPeer("beta");
const mallory = testPeer("mallory");
const log = capturingLogger();
const probe = new TestProbe();
const server = new RpcServer({ service: testService(probe), logger: log });
const accepted: Link[] = [];
const refusedCodes: string[] = [];
let household = [alpha.pinned];
let listener: TlsListener;
let betaAt: DialTarget;

function refusals() {
  return log.entries.filter(
    (e) => e.message === "refused connection" || e.message === "TLS handshake failed",
  );
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** The server still serves a configured peer with a fresh connection. */
async function goodPeerServed(): Promise<void> {
  const link = await tlsDial({ identity: alpha, peer: betaAt });
  const client = new RpcConnection(link);
  expect(await client.call(m.echo, { text: "still serving" })).toBe("still serving");
  client.close();
}

/** A TLS 1.3 endpoint with `identity`'s certificate that hands each socket to `onSocket`. */
async function rawTlsServer(
  identity: typeof mallory,
  onSocket: (socket: tls.TLSSocket) => void,
  maxVersion: tls.SecureVersion = "TLSv1.3",
): Promise<{ server: tls.Server; port: number; close: () => Promise<void> }> {
  const srv = tls.createServer(
    {
      key: identity.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
      cert: selfSignedCertificatePem(identity.privateKey, identity.name),
      maxVersion,
      requestCert: true,
      rejectUnauthorized: false,
    },
    onSocket,
  );
  srv.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as net.AddressInfo).port;
  return { server: srv, port, close: () => new Promise((resolve) => srv.close(() => resolve())) };
}

beforeAll(async () => {
  listener = await tlsListen({
    identity: beta,
    listen: { host: "127.0.0.1", port: 0 },
    peers: () => household,
    logger: log,
    onLink: (link) => {
      accepted.push(link);
      server.accept(link);
    },
    onRefused: (reason) => refusedCodes.push(reason.code),
  });
  betaAt = { ...beta.pinned, address: listener.address };
});

afterAll(async () => {
  await server.close();
  await listener.close();
});

beforeEach(() => {
  household = [alpha.pinned];
  log.entries.length = 0;
  accepted.length = 0;
  refusedCodes.length = 0;
  probe.calls = 0;
});

describe("TLS links with pinned keys", () => {
  test("a configured peer is accepted under its config name, with TLS 1.3 both ways", async () => {
    const link = await tlsDial({ identity: alpha, peer: betaAt });
    expect(link.peer).toBe("beta");
    expect(link.address).toBe(`127.0.0.1:${listener.address.port}`);
    expect((link.stream as tls.TLSSocket).getProtocol()).toBe("TLSv1.3");
    await until(() => accepted.length === 1);
    expect(accepted[0]?.peer).toBe("alpha");
    expect(accepted[0]?.address).toMatch(/^127\.0\.0\.1:\d+$/);
    link.stream.destroy();
  });

  test("an unknown key is refused before its request is read; both sides say why", async () => {
    const link = await tlsDial({ identity: mallory, peer: betaAt });
    const request = { t: "req", id: 1, method: m.echo.name, args: { text: "let me in" } };
    link.stream.write(encodeFrame(HELLO));
    link.stream.write(encodeFrame(request));
    const client = new RpcConnection(link);
    const error = await rejection(client.ready);
    expect(error.code).toBe("unknown_key");
    expect(error.message).toContain(mallory.pinned.pubkey);
    expect(error.message).toContain("beta");
    const [entry] = refusals();
    expect(entry?.fields).toMatchObject({ code: "unknown_key", key: mallory.pinned.pubkey });
    expect(String(entry?.fields.address)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(accepted).toHaveLength(0);
    expect(refusedCodes).toEqual(["unknown_key"]);
    expect(probe.calls).toBe(0);
    await goodPeerServed();
  });

  test("a dialled peer presenting another key than the pinned one: key_mismatch", async () => {
    const pinnedWrong = { ...mallory.pinned, name: "beta", address: listener.address };
    const error = await rejection(tlsDial({ identity: alpha, peer: pinnedWrong }));
    expect(error.code).toBe("key_mismatch");
    expect(error.data).toMatchObject({
      peer: "beta",
      expected: mallory.pinned.pubkey,
      presented: beta.pinned.pubkey,
    });
    expect(error.message).toContain("beta");
    await goodPeerServed();
  });

  test("a man in the middle presenting its own key is refused before anything is sent", async () => {
    let bytesFromClient = 0;
    const proxy = await rawTlsServer(mallory, (socket) => {
      socket.on("data", (chunk: Buffer) => {
        bytesFromClient += chunk.length;
      });
      socket.on("error", () => {});
    });
    proxy.server.on("connection", () => {
      const onward = tls.connect({
        host: "127.0.0.1",
        port: listener.address.port,
        key: mallory.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
        cert: selfSignedCertificatePem(mallory.privateKey, "alpha"),
        rejectUnauthorized: false,
      });
      onward.on("error", () => {});
    });
    const viaProxy = { ...beta.pinned, address: { host: "127.0.0.1", port: proxy.port } };
    const error = await rejection(tlsDial({ identity: alpha, peer: viaProxy }));
    expect(error.code).toBe("key_mismatch");
    expect(error.data).toMatchObject({ peer: "beta", presented: mallory.pinned.pubkey });
    await until(() => refusals().length > 0);
    expect(refusals()[0]?.fields).toMatchObject({
      code: "unknown_key",
      key: mallory.pinned.pubkey,
    });
    expect(bytesFromClient).toBe(0);
    expect(accepted).toHaveLength(0);
    await proxy.close();
    await goodPeerServed();
  });

  test("a plain TCP relay changes nothing: keys are checked, not addresses", async () => {
    const relay = net.createServer((socket) => {
      const onward = net.connect(listener.address.port, "127.0.0.1");
      socket.on("error", () => {});
      onward.on("error", () => {});
      socket.pipe(onward).pipe(socket);
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const port = (relay.address() as net.AddressInfo).port;
    const link = await tlsDial({
      identity: alpha,
      peer: { ...beta.pinned, address: { host: "127.0.0.1", port } },
    });
    const client = new RpcConnection(link);
    expect(await client.call(m.echo, { text: "relayed" })).toBe("relayed");
    client.close();
    await new Promise((resolve) => relay.close(resolve));
  });

  test("a client offering only TLS 1.2 is refused and logged with its address", async () => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port: listener.address.port,
      maxVersion: "TLSv1.2",
      key: alpha.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
      cert: selfSignedCertificatePem(alpha.privateKey, "alpha"),
      rejectUnauthorized: false,
    });
    const failed = await new Promise<Error>((resolve) => socket.on("error", resolve));
    expect(failed.message).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/);
    await until(() => refusals().length > 0);
    expect(refusals()[0]?.fields).toMatchObject({ code: "tls" });
    expect(String(refusals()[0]?.fields.reason)).toContain("TLS 1.3");
    expect(refusedCodes).toEqual(["tls"]);
    expect(String(refusals()[0]?.fields.address)).toMatch(/^127\.0\.0\.1:\d+$/);
    await goodPeerServed();
  });

  test("dialling a peer that speaks only TLS 1.2 fails with a TLS error", async () => {
    const old = await rawTlsServer(beta, (socket) => socket.destroy(), "TLSv1.2");
    const error = await rejection(
      tlsDial({
        identity: alpha,
        peer: { ...beta.pinned, address: { host: "127.0.0.1", port: old.port } },
      }),
    );
    expect(error.code).toBe("tls");
    expect(error.data.peer).toBe("beta");
    await old.close();
  });

  test("a client without a certificate is refused", async () => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port: listener.address.port,
      rejectUnauthorized: false,
    });
    socket.on("error", () => {});
    await until(() => refusals().length > 0);
    expect(refusals()[0]?.fields).toMatchObject({ code: "unknown_key" });
    expect(String(refusals()[0]?.fields.reason)).toContain("no ED25519 certificate");
    socket.destroy();
    await goodPeerServed();
  });

  test("the household is read at each handshake, so a reloaded config applies", async () => {
    household = [];
    const refused = new RpcConnection(await tlsDial({ identity: alpha, peer: betaAt }));
    expect((await rejection(refused.ready)).code).toBe("unknown_key");
    household = [alpha.pinned];
    await goodPeerServed();
  });

  test("nothing listening: unreachable, naming the peer and address", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await rejection(
      tlsDial({ identity: alpha, peer: { ...beta.pinned, address: { host: "127.0.0.1", port } } }),
    );
    expect(error.code).toBe("unreachable");
    expect(error.message).toContain(`beta at 127.0.0.1:${port}`);
  });

  test("a peer that never finishes the handshake: unreachable after the timeout", async () => {
    const silent = net.createServer((socket) => socket.on("error", () => {}).resume());
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const error = await rejection(
      tlsDial({
        identity: alpha,
        peer: { ...beta.pinned, address: { host: "127.0.0.1", port } },
        timeoutMs: 50,
      }),
    );
    expect(error.code).toBe("unreachable");
    expect(error.message).toContain("did not answer within 50 ms");
    await new Promise((resolve) => silent.close(resolve));
  });

  test("an aborted dial rejects with cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(
      tlsDial({ identity: alpha, peer: betaAt, signal: controller.signal }),
    );
    expect(error.code).toBe("cancelled");
  });
});
