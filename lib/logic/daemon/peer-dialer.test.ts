import { describe, expect, test } from "bun:test";
import { RealizeError } from "../../model/errors.ts";
import { capturingLogger } from "../../model/logger.ts";
import { Backoff } from "../../network/backoff.ts";
import type { Link } from "../../network/link.ts";
import { memoryLinkPair } from "../../network/memory-transport.ts";
import { RpcConnection } from "../../network/rpc-connection.ts";
import { VirtualClock } from "../../network/virtual-clock.ts";
import { PeerDialer } from "./peer-dialer.ts";

/** A VirtualClock that remembers every wait asked of it. */
class RecordingClock extends VirtualClock {
  readonly waits: number[] = [];
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.waits.push(ms);
    return super.sleep(ms, signal);
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A peer at the far end that can be up or down; its side of each connection is kept. */
class FakePeer {
  up = true;
  dials = 0;
  readonly served: RpcConnection[] = [];

  dial = async (): Promise<Link> => {
    this.dials++;
    if (!this.up) throw new RealizeError("unreachable", "cannot reach peer nas: ECONNREFUSED");
    const [ours, theirs] = memoryLinkPair({ name: "laptop" }, { name: "nas" });
    this.served.push(new RpcConnection(theirs));
    return ours;
  };

  /** The far side drops its latest connection (as a restart would). */
  drop(): void {
    this.served.at(-1)?.close();
  }
}

function dialer(peer: FakePeer, clock: RecordingClock, stableMs = 10_000) {
  const log = capturingLogger();
  const dialer = new PeerDialer({
    peer: "nas",
    dial: peer.dial,
    connect: (link) => new RpcConnection(link),
    logger: log,
    clock,
    stableMs,
    backoff: new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.5 }),
  });
  return { dialer: dialer.start(), log };
}

describe("PeerDialer", () => {
  test("dials, and redials after a backoff wait when the other side drops the connection", async () => {
    const peer = new FakePeer();
    const clock = new RecordingClock();
    const { dialer: d } = dialer(peer, clock);
    await settle();
    expect(d.connection?.peer).toBe("nas");
    peer.drop();
    await settle();
    expect(d.connection).toBeUndefined();
    expect(clock.waits).toEqual([50]);
    clock.fireNext();
    await settle();
    expect(peer.dials).toBe(2);
    expect(d.connection?.open).toBe(true);
    await d.stop();
  });

  test("while the peer is down the waits double up to the cap, with jitter under each ceiling", async () => {
    const peer = new FakePeer();
    peer.up = false;
    const clock = new RecordingClock();
    const { dialer: d, log } = dialer(peer, clock);
    for (let i = 0; i < 6; i++) {
      await settle();
      clock.fireNext();
    }
    await settle();
    expect(clock.waits).toEqual([50, 100, 200, 400, 500, 500, 500]);
    const warnings = log.entries.filter((e) => e.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ peer: "nas", code: "unreachable", retryInMs: 50 });
    peer.up = true;
    clock.fireNext();
    await settle();
    expect(d.connection?.open).toBe(true);
    await d.stop();
  });

  test("a connection that stayed up resets the backoff; one dropped at once does not", async () => {
    const peer = new FakePeer();
    peer.up = false;
    const clock = new RecordingClock();
    const { dialer: d } = dialer(peer, clock, 5000);
    for (let i = 0; i < 3; i++) {
      await settle();
      clock.fireNext();
    }
    peer.up = true;
    await settle();
    expect(clock.waits).toEqual([50, 100, 200]);
    expect(d.connection?.open).toBe(true);

    peer.drop();
    await settle();
    expect(clock.waits.at(-1)).toBe(400);
    clock.fireNext();
    await settle();
    clock.advance(5000);
    peer.drop();
    await settle();
    expect(clock.waits.at(-1)).toBe(50);
    await d.stop();
  });

  test("stop ends the loop, closes the connection and dials no more", async () => {
    const peer = new FakePeer();
    const clock = new RecordingClock();
    const { dialer: d } = dialer(peer, clock);
    await settle();
    const connection = d.connection;
    await d.stop();
    expect(connection?.open).toBe(false);
    expect(await peer.served[0]?.closed).toBeUndefined();
    clock.fireNext();
    await settle();
    expect(peer.dials).toBe(1);
  });

  test("stop while waiting between attempts returns at once", async () => {
    const peer = new FakePeer();
    peer.up = false;
    const clock = new RecordingClock();
    const { dialer: d } = dialer(peer, clock);
    await settle();
    expect(clock.pending).toBe(1);
    await d.stop();
    expect(peer.dials).toBe(1);
  });
});
