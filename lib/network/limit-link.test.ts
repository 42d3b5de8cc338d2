import { describe, expect, test } from "bun:test";
import type { Duplex } from "node:stream";
import { limitLink } from "./limit-link.ts";
import type { Link } from "./link.ts";
import { memoryLinkPair } from "./memory-transport.ts";
import { TokenBucket } from "./token-bucket.ts";
import { VirtualClock } from "./virtual-clock.ts";

const RATE = 100_000;
const TOTAL = 1_000_000;
const CHUNK = 50_000;

function rates(clock: VirtualClock, send: number, receive: number) {
  return {
    send: new TokenBucket(send, undefined, clock),
    receive: new TokenBucket(receive, undefined, clock),
  };
}

async function writeAll(stream: Duplex, total: number): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, 7);
  for (let sent = 0; sent < total; sent += CHUNK) {
    if (!stream.write(chunk)) await new Promise((resolve) => stream.once("drain", resolve));
  }
}

function readAll(stream: Duplex, total: number): Promise<number> {
  return new Promise((resolve) => {
    let got = 0;
    stream.on("data", (chunk: Buffer) => {
      got += chunk.length;
      if (got >= total) resolve(got);
    });
  });
}

/**
 * Settles `work` on virtual time. Unlike VirtualClock.run it lets I/O settle for several
 * event-loop turns before firing the next timer, since a memory link hops through
 * setImmediate and stream ticks on every write.
 */
async function drive<T>(clock: VirtualClock, work: Promise<T>): Promise<T> {
  let settled = false;
  const watched = work.finally(() => {
    settled = true;
  });
  const turns = async (n: number) => {
    for (let i = 0; i < n && !settled; i++) await new Promise((r) => setImmediate(r));
  };
  for (;;) {
    await turns(20);
    if (settled) return watched;
    if (!clock.fireNext()) {
      await turns(200);
      if (settled) return watched;
      if (!clock.fireNext()) throw new Error("the transfer waits on nothing that can happen");
    }
  }
}

/** Moves `total` bytes from `from` to `to` and returns the virtual seconds it took. */
async function transfer(clock: VirtualClock, from: Link, to: Link): Promise<number> {
  const start = clock.now();
  const received = readAll(to.stream, TOTAL);
  await drive(clock, Promise.all([writeAll(from.stream, TOTAL), received]));
  expect(await received).toBe(TOTAL);
  return (clock.now() - start) / 1000;
}

describe("limitLink", () => {
  test("sending: 1 MB at 100 kB/s takes 10 s less the first burst", async () => {
    const clock = new VirtualClock();
    const [a, b] = memoryLinkPair({ name: "alpha" }, { name: "beta" });
    const limited = limitLink(a, rates(clock, RATE, 0));
    const seconds = await transfer(clock, limited, b);
    const burst = RATE * 0.1;
    expect(seconds).toBeGreaterThanOrEqual((TOTAL - burst) / RATE - 0.01);
    expect(seconds).toBeLessThanOrEqual((TOTAL / RATE) * 1.02);
  });

  test("receiving: the reader's cap holds the sender back to 100 kB/s", async () => {
    const clock = new VirtualClock();
    const [a, b] = memoryLinkPair({ name: "alpha" }, { name: "beta" });
    const limited = limitLink(b, rates(clock, 0, RATE));
    const seconds = await transfer(clock, a, limited);
    expect(seconds).toBeGreaterThanOrEqual((TOTAL - RATE * 0.1 - CHUNK) / RATE - 0.01);
    expect(seconds).toBeLessThanOrEqual((TOTAL / RATE) * 1.02);
  });

  test("unlimited buckets pass the bytes through without waiting", async () => {
    const clock = new VirtualClock();
    const [a, b] = memoryLinkPair({ name: "alpha" }, { name: "beta" });
    const seconds = await transfer(clock, limitLink(a, rates(clock, 0, 0)), limitLink(b, 0));
    expect(seconds).toBe(0);
  });

  test("two links sharing one peer's buckets share its cap", async () => {
    const clock = new VirtualClock();
    const shared = rates(clock, RATE, 0);
    const [a1, b1] = memoryLinkPair({ name: "alpha" }, { name: "beta" });
    const [a2, b2] = memoryLinkPair({ name: "alpha" }, { name: "beta" });
    const start = clock.now();
    const send = (from: Link, to: Link) =>
      Promise.all([writeAll(limitLink(from, shared).stream, TOTAL), readAll(to.stream, TOTAL)]);
    await drive(clock, Promise.all([send(a1, b1), send(a2, b2)]));
    expect((clock.now() - start) / 1000).toBeGreaterThanOrEqual((2 * TOTAL - RATE * 0.1) / RATE);
  });

  test("the bytes arrive unchanged and in order, and keep the link's name and address", async () => {
    const [a, b] = memoryLinkPair({ name: "alpha" }, { name: "beta", address: "10.0.0.2:7744" });
    const limited = limitLink(a, 1_000_000_000);
    expect([limited.peer, limited.address]).toEqual(["beta", "10.0.0.2:7744"]);
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251));
    const got: Buffer[] = [];
    b.stream.on("data", (chunk: Buffer) => got.push(chunk));
    const ended = new Promise((resolve) => b.stream.once("end", resolve));
    limited.stream.end(data);
    await ended;
    expect(Buffer.concat(got).equals(data)).toBe(true);
  });

  test("closing either side closes the other", async () => {
    const [a] = memoryLinkPair({ name: "alpha" }, { name: "beta" });
    const limited = limitLink(a, 1000);
    const closed = new Promise((resolve) => limited.stream.once("close", resolve));
    a.stream.destroy();
    await closed;
    expect(limited.stream.destroyed).toBe(true);

    const [c, d] = memoryLinkPair({ name: "alpha" }, { name: "beta" });
    const other = limitLink(c, 1000);
    const ended = new Promise((resolve) => d.stream.once("end", resolve));
    d.stream.resume();
    other.stream.destroy();
    await ended;
    expect(c.stream.destroyed).toBe(true);
  });
});
