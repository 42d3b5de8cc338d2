import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import * as net from "node:net";
import { appendConfig, linkPeers, type TestPeer, TestPeers, waitFor } from "../fixtures/peers.ts";
import { loadIdentity } from "../lib/config/identity.ts";
import { RpcConnection } from "../lib/network/rpc-connection.ts";
import { testPeer } from "../lib/network/tls-test-support.ts";
import { tlsDial } from "../lib/network/tls-transport.ts";

const peers = new TestPeers();
let alpha: TestPeer;
let beta: TestPeer;
let metricsUrl = "";

beforeAll(async () => {
  [alpha, beta] = await Promise.all([peers.make("alpha"), peers.make("beta")]);
  // Only alpha dials, so a reconnection after beta restarts is alpha's doing.
  await linkPeers(alpha, beta, { bDialsA: false });
  metricsUrl = await beta.enableMetrics();
  await Promise.all([alpha.serve(), beta.serve()]);
  await alpha.connectedTo("beta");
});
afterAll(() => peers.cleanup());

const metrics = async () => (await fetch(metricsUrl)).text();

describe("realize serve", () => {
  test("the dialled side sees the peer connected; the control socket is 0600 in the state dir", async () => {
    const status = await beta.connectedTo("alpha");
    expect(status).toMatchObject({ peer: "beta", listen: beta.address, metrics: metricsUrl });
    expect(status.peers).toEqual([
      expect.objectContaining({ name: "alpha", address: null, connected: true }),
    ]);
    expect(statSync(beta.paths.controlSocket).mode & 0o777).toBe(0o600);
    expect(beta.paths.controlSocket).toBe(`${beta.home}/state/control.sock`);
  });

  test("metrics show the open connection, bytes by peer and served pings", async () => {
    expect((await alpha.run("ping", "beta")).code).toBe(0);
    await waitFor("the ping to be counted", async () =>
      (await metrics()).includes('realize_requests_total{method="realize.ping",outcome="ok"}'),
    );
    const text = await metrics();
    expect(text).toMatch(/realize_open_connections\{peer="alpha"\} [12]/);
    expect(text).toMatch(/realize_received_bytes_total\{peer="alpha"\} [1-9]/);
    expect(text).toMatch(/realize_sent_bytes_total\{peer="alpha"\} [1-9]/);
  });

  test("a second serve for the same REALIZE_HOME refuses with exit 1", async () => {
    const second = beta.spawnServe();
    expect(await second.exited).toBe(1);
    expect(second.stderr).toContain("another realize serve runs for this REALIZE_HOME");
    expect((await beta.status())?.pid).toBe(beta.daemon?.child.pid);
  });

  test("garbage, an unknown key and bad frames do not disturb a following ping", async () => {
    const garbage = net.connect(beta.port, "127.0.0.1");
    await new Promise((resolve) => garbage.once("connect", resolve));
    garbage.end(Buffer.from("GET / HTTP/1.1\r\n\r\n\x00\xff\x16\x03\x01garbage"));
    await new Promise((resolve) => garbage.once("close", resolve));

    const betaPinned = {
      name: "beta",
      pubkey: beta.pubkey,
      pubkeyRaw: (await loadIdentity(beta.paths)).publicKeyRaw,
      address: { host: "127.0.0.1", port: beta.port },
    };
    const stranger = new RpcConnection(
      await tlsDial({ identity: testPeer("x"), peer: betaPinned }),
    );
    await expect(stranger.ready).rejects.toMatchObject({ code: "unknown_key" });

    const key = (await loadIdentity(alpha.paths)).privateKey;
    const bad = await tlsDial({ identity: { name: "alpha", privateKey: key }, peer: betaPinned });
    bad.stream.resume();
    bad.stream.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await new Promise((resolve) => bad.stream.once("close", resolve));

    const ping = await alpha.run("ping", "beta");
    expect(ping.code).toBe(0);
    const text = await metrics();
    expect(text).toContain('realize_refused_connections_total{reason="tls"}');
    expect(text).toContain('realize_refused_connections_total{reason="unknown_key"}');
    expect(text).toContain('realize_frame_errors_total{reason="too_large"}');
    expect(beta.daemon?.stderr).toContain("refused connection");
  });

  test("SIGHUP applies a new config; a broken one is logged and the old one kept", async () => {
    const gamma = await peers.make("gamma");
    await beta.must("peer", "add", "gamma", "--pubkey", gamma.pubkey);
    beta.daemon?.child.kill("SIGHUP");
    await waitFor("gamma in beta's status", async () =>
      Boolean((await beta.status())?.peers.some((p) => p.name === "gamma")),
    );
    const good = beta.config;
    appendConfig(beta, "[peers.broken]\nnope = 1");
    beta.daemon?.child.kill("SIGHUP");
    await waitFor("the refusal in the log", () =>
      Boolean(beta.daemon?.stderr.includes("config not reloaded")),
    );
    beta.config = good;
    expect((await alpha.run("ping", "beta")).code).toBe(0);
    expect((await beta.status())?.peers.map((p) => p.name).sort()).toEqual(["alpha", "gamma"]);
  });

  test("after beta restarts, alpha reconnects by itself", async () => {
    const before = await alpha.connectedTo("beta");
    const since = before.peers.find((p) => p.name === "beta")?.connectedSince;
    expect(await beta.stop()).toBe(0);
    await alpha.connectedTo("beta", false);
    await beta.serve();
    const after = await alpha.connectedTo("beta");
    expect(after.pid).toBe(before.pid);
    expect(after.peers.find((p) => p.name === "beta")?.connectedSince).not.toBe(since);
    await beta.connectedTo("alpha");
  });

  test("SIGTERM and SIGINT: exit 0, connections closed, control socket removed", async () => {
    const socket = beta.paths.controlSocket;
    expect(existsSync(socket)).toBe(true);
    expect(await beta.stop()).toBe(0);
    expect(existsSync(socket)).toBe(false);
    await alpha.connectedTo("beta", false);
    const daemon = alpha.daemon;
    expect(await daemon?.stop("SIGINT")).toBe(0);
    expect(existsSync(alpha.paths.controlSocket)).toBe(false);
    expect(daemon?.stderr).toContain("stopped peer=alpha");
  });
});
