import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { rejection } from "../../../fixtures/rejection.ts";
import { createIdentity, type Identity } from "../../config/identity.ts";
import { type PeerPaths, peerPaths } from "../../config/paths.ts";
import type { Config, HostPort, PeerConfig } from "../../config/types.ts";
import { capturingLogger } from "../../model/logger.ts";
import { controlMethods } from "../../network/control-protocol.ts";
import { schemaCodec, streamMethod } from "../../network/method.ts";
import { RpcConnection } from "../../network/rpc-connection.ts";
import { testPeer } from "../../network/tls-test-support.ts";
import { tlsDial } from "../../network/tls-transport.ts";
import { connectControl } from "./control-client.ts";
import { Daemon } from "./daemon.ts";
import { pingPeer } from "./ping-peer.ts";

const scratch = mkdtempSync(join(tmpdir(), "realize-daemon-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const running: Daemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((daemon) => daemon.stop()));
});

/** A peer's home, key and config; `config()` builds its config from what it knows now. */
class TestHome {
  readonly paths: PeerPaths;
  identity!: Identity;
  listen: HostPort = { host: "127.0.0.1", port: 0 };
  readonly peers: Record<string, PeerConfig> = {};
  metrics: HostPort | undefined;

  constructor(readonly name: string) {
    this.paths = peerPaths({ REALIZE_HOME: mkdtempSync(join(scratch, `${name}-`)) });
  }

  async init(): Promise<this> {
    this.identity = await createIdentity(this.paths);
    return this;
  }

  knows(other: TestHome, extra: Partial<PeerConfig> = {}): this {
    this.peers[other.name] = {
      name: other.name,
      pubkey: other.identity.pubkey,
      pubkeyRaw: other.identity.publicKeyRaw,
      ...extra,
    };
    return this;
  }

  config(): Config {
    return {
      file: this.paths.config,
      peer: {
        name: this.name,
        listen: this.listen,
        ...(this.metrics && { metrics: this.metrics }),
      },
      peers: { ...this.peers },
      arenas: {},
    };
  }

  async start(): Promise<Daemon> {
    const daemon = await Daemon.start({
      paths: this.paths,
      config: this.config(),
      identity: this.identity,
      logger: capturingLogger(),
      backoff: { initialMs: 20, maxMs: 200 },
    });
    running.push(daemon);
    this.listen = parseAddress(daemon.status().listen);
    return daemon;
  }
}

function parseAddress(text: string): HostPort {
  const at = text.lastIndexOf(":");
  return { host: text.slice(0, at), port: Number(text.slice(at + 1)) };
}

async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const give = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > give) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const connected = (daemon: Daemon, peer: string) =>
  daemon.status().peers.find((p) => p.name === peer)?.connected === true;

/** `a` knows `b` with its address; `b` knows `a` without one (only `a` dials). */
async function pair(extra: { aKnowsB?: Partial<PeerConfig>; bKnowsA?: Partial<PeerConfig> } = {}) {
  const a = await new TestHome("alpha").init();
  const b = await new TestHome("beta").init();
  b.knows(a, extra.bKnowsA);
  const db = await b.start();
  a.knows(b, { address: b.listen, ...extra.aKnowsB });
  const da = await a.start();
  return { a, b, da, db };
}

describe("Daemon", () => {
  test("dials a peer with an address; both sides report the connection; ping answers", async () => {
    const { a, da, db } = await pair();
    await until("both connected", () => connected(da, "beta") && connected(db, "alpha"));
    const status = da.status();
    expect(status.peer).toBe("alpha");
    expect(status.peers).toEqual([
      expect.objectContaining({ name: "beta", connected: true, connections: 1 }),
    ]);
    expect(Date.parse(status.peers[0]?.connectedSince ?? "")).toBeGreaterThan(0);
    const ping = await pingPeer(a.config(), a.identity, "beta");
    expect(ping.peer).toBe("beta");
    expect(ping.rttMs).toBeGreaterThan(0);
  });

  test("the dialling side reconnects after the other side restarts", async () => {
    const { b, da, db } = await pair();
    await until("connected", () => connected(da, "beta"));
    await db.stop();
    await until("disconnected", () => !connected(da, "beta"));
    const again = await b.start();
    await until("reconnected", () => connected(da, "beta") && connected(again, "alpha"));
  });

  test("the control socket answers status, has mode 0600, refuses a second daemon, goes on stop", async () => {
    const home = await new TestHome("gamma").init();
    const daemon = await home.start();
    const socket = home.paths.controlSocket;
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const control = await connectControl(home.paths);
    const status = await control?.call(controlMethods.status, {});
    expect(status).toMatchObject({ peer: "gamma", pid: process.pid, metrics: null, peers: [] });
    control?.close();

    const second = await rejection(
      Daemon.start({
        paths: home.paths,
        config: home.config(),
        identity: home.identity,
        logger: capturingLogger(),
      }),
    );
    expect(second.code).toBe("already_running");
    expect(existsSync(socket)).toBe(true);

    await daemon.stop();
    expect(existsSync(socket)).toBe(false);
    expect(await connectControl(home.paths)).toBeUndefined();
  });

  test("a stale control socket left by a crash is replaced", async () => {
    const home = await new TestHome("delta").init();
    mkdirSync(home.paths.stateDir, { recursive: true });
    const crashed = Bun.spawn(
      [
        "bun",
        "-e",
        `require("node:net").createServer().listen(${JSON.stringify(home.paths.controlSocket)}, () => console.log("up"))`,
      ],
      { stdout: "pipe" },
    );
    await crashed.stdout.getReader().read();
    crashed.kill("SIGKILL");
    await crashed.exited;
    expect(existsSync(home.paths.controlSocket)).toBe(true);
    await home.start();
    const control = await connectControl(home.paths);
    expect((await control?.call(controlMethods.status, {}))?.peer).toBe("delta");
    control?.close();
  });

  test("metrics: open connections by peer, refusals by reason, frame errors", async () => {
    const a = await new TestHome("alpha").init();
    const b = await new TestHome("beta").init();
    b.metrics = { host: "127.0.0.1", port: 0 };
    b.knows(a);
    const db = await b.start();
    a.knows(b, { address: b.listen });
    await a.start();
    const url = db.status().metrics ?? "";
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    await until("connected", () => connected(db, "alpha"));
    const stranger = testPeer("stranger");
    const target = { ...testPeer("beta").pinned, pubkey: "", pubkeyRaw: b.identity.publicKeyRaw };
    const refused = new RpcConnection(
      await tlsDial({ identity: stranger, peer: { ...target, address: b.listen } }),
    );
    expect((await rejection(refused.ready)).code).toBe("unknown_key");
    const garbage = await tlsDial({
      identity: { name: "alpha", privateKey: a.identity.privateKey },
      peer: { ...target, address: b.listen },
    });
    garbage.stream.write(Buffer.from([0, 0, 0, 2, 0xff, 0xff]));
    const text = async () => (await fetch(url)).text();
    await until("frame error counted", async () =>
      (await text()).includes('realize_frame_errors_total{reason="bad_cbor"} 1'),
    );
    const metrics = await text();
    expect(metrics).toContain('realize_open_connections{peer="alpha"} 1');
    expect(metrics).toContain('realize_refused_connections_total{reason="unknown_key"} 1');
    expect(metrics).toMatch(/realize_received_bytes_total\{peer="alpha"\} [1-9]/);
  });

  test("max_rate paces what a daemon sends to that peer", async () => {
    const blob = streamMethod("test.blob", {
      args: schemaCodec(v.number()),
      chunk: schemaCodec(v.instance(Uint8Array)),
    });
    const a = await new TestHome("alpha").init();
    const b = await new TestHome("beta").init();
    b.knows(a, { maxRate: 1_000_000 });
    const db = await b.start();
    db.service.onStream(blob, function* (n) {
      for (let i = 0; i < n; i++) yield new Uint8Array(50_000);
    });
    a.knows(b, { address: b.listen });
    const link = await tlsDial({
      identity: { name: "alpha", privateKey: a.identity.privateKey },
      peer: { ...a.peers.beta!, address: b.listen },
    });
    const client = new RpcConnection(link);
    const start = performance.now();
    let bytes = 0;
    for await (const chunk of client.stream(blob, 8)) bytes += chunk.length;
    const seconds = (performance.now() - start) / 1000;
    client.close();
    expect(bytes).toBe(400_000);
    expect(seconds).toBeGreaterThanOrEqual((400_000 - 100_000 - 50_000) / 1_000_000);
  });

  test("a reload drops a removed peer and its dialer; a bad config file is refused and kept", async () => {
    const { a, da, db } = await pair();
    await until("connected", () => connected(db, "alpha"));
    writeFileSync(a.paths.config, "[peer]\nname = 5\n");
    expect(await da.reload()).toBe(false);
    expect(da.currentConfig.peers.beta).toBeDefined();

    const without = a.config();
    delete without.peers.beta;
    await da.apply(without);
    await until("disconnected", () => !connected(db, "alpha"));
    expect(da.status().peers).toEqual([]);
  });

  test("a reload that sets a metrics address starts serving metrics there", async () => {
    const home = await new TestHome("epsilon").init();
    const daemon = await home.start();
    expect(daemon.status().metrics).toBeNull();
    home.metrics = { host: "127.0.0.1", port: 0 };
    await daemon.apply(home.config());
    const url = daemon.status().metrics ?? "";
    expect((await fetch(url)).status).toBe(200);
  });

  test("a listen address in use: address_in_use, and nothing is left bound or created", async () => {
    const taken = await new TestHome("zeta").init();
    await taken.start();
    const home = await new TestHome("eta").init();
    home.listen = taken.listen;
    const error = await rejection(home.start());
    expect(error.code).toBe("address_in_use");
    expect(error.message).toContain(`127.0.0.1:${taken.listen.port}`);
    expect(existsSync(home.paths.controlSocket)).toBe(false);
  });
});
