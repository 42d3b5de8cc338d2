import { afterEach, describe, expect, test } from "bun:test";
import { rejection } from "../../fixtures/rejection.ts";
import { RealizeError } from "../model/errors.ts";
import { Hash } from "../model/hash.ts";
import { callMethod } from "./method.ts";
import { PROTOCOL_VERSION, RpcConnection } from "./rpc-connection.ts";
import {
  boundedWait,
  type LinkHarness,
  testMethods as m,
  startTestBed,
  type TestBed,
} from "./rpc-test-support.ts";

/**
 * The RPC behaviour every transport must give: the same suite runs over the in-memory pipe
 * and over real TLS (rpc.memory.test.ts, rpc.tls.test.ts).
 */

/** Lets other tasks run: timers and I/O callbacks of the current turn included. */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** Registers the conformance tests for `harness`. */
export function rpcConformance(harness: LinkHarness): void {
  describe(`RPC over ${harness.name}`, () => {
    let bed: TestBed | undefined;
    const start = async (options = {}) => {
      bed = await startTestBed(harness, options);
      return bed;
    };
    afterEach(async () => {
      await bed?.stop();
      bed = undefined;
    });

    test("a call returns its result, converted from the wire into domain values", async () => {
      const { connect } = await start();
      const { client } = await connect();
      expect(await client.call(m.echo, { text: "héllo" })).toBe("héllo");
      const hash = Hash.fromBytes(new Uint8Array(32).fill(7));
      const next = await client.call(m.nextHash, hash);
      expect(next).toBeInstanceOf(Hash);
      expect(next.bytes[0]).toBe(8);
    });

    test("many requests in flight on one connection finish in any order", async () => {
      const { connect, probe } = await start();
      const { client } = await connect();
      const keys = Array.from({ length: 50 }, (_, i) => i);
      const results = keys.map((key) => client.call(m.hold, { key }));
      while (probe.holding < keys.length) await settle(1);
      for (const key of [...keys].reverse()) probe.release(key);
      expect(await Promise.all(results)).toEqual(keys);
    });

    test("a large stream arrives in order as chunks, each within the frame limit", async () => {
      const maxFrame = 128 * 1024;
      const { connect } = await start({ maxFrame });
      const { client } = await connect();
      let expected = 0;
      let bytes = 0;
      for await (const chunk of client.stream(m.count, { n: 160, size: 64 * 1024 })) {
        expect(chunk.index).toBe(expected);
        expect(chunk.data.every((byte) => byte === (expected & 0xff))).toBe(true);
        expected++;
        bytes += chunk.data.length;
      }
      expect(expected).toBe(160);
      expect(bytes).toBe(160 * 64 * 1024);
      expect(bytes).toBeGreaterThan(maxFrame * 50);
    });

    test("a stream runs at most one window ahead of its consumer", async () => {
      const window = 4;
      const { connect, probe } = await start({ window });
      const { client } = await connect();
      let consumed = 0;
      for await (const _ of client.stream(m.endless, {})) {
        consumed++;
        await settle();
        expect(probe.produced - consumed).toBeLessThanOrEqual(window + 1);
        if (consumed === 40) break;
      }
      await probe.endlessFinished;
    });

    test("breaking out of a stream stops the peer's generator", async () => {
      const { connect, probe } = await start();
      const { client } = await connect();
      for await (const i of client.stream(m.endless, {})) if (i === 3) break;
      await probe.endlessFinished;
      expect(await client.call(m.echo, { text: "still here" })).toBe("still here");
    });

    test("an aborted call rejects with cancelled and aborts the peer's handler", async () => {
      const { connect, probe } = await start();
      const { client } = await connect();
      const controller = new AbortController();
      const call = client.call(m.hang, {}, { signal: controller.signal });
      while (probe.calls === 0) await settle(1);
      controller.abort();
      expect((await rejection(call)).code).toBe("cancelled");
      while (probe.aborts.length === 0) await settle(1);
      expect((probe.aborts[0] as RealizeError).code).toBe("cancelled");
    });

    test("a call past its deadline rejects with timeout and the peer stops too", async () => {
      const { connect, probe } = await start();
      const { client } = await connect();
      const error = await rejection(client.call(m.hang, {}, { deadline: Date.now() + 50 }));
      expect(error.code).toBe("timeout");
      expect(error.data.method).toBe("test.hang");
      while (probe.aborts.length === 0) await settle(1);
      expect(["timeout", "cancelled"]).toContain((probe.aborts[0] as RealizeError).code);
    });

    test("a stream past its deadline fails with timeout", async () => {
      const { connect } = await start({ window: 2 });
      const { client } = await connect();
      const stream = client.stream(m.endless, {}, { deadline: Date.now() + 50 });
      const error = await rejection(
        (async () => {
          for await (const _ of stream) await settle();
        })(),
      );
      expect(error.code).toBe("timeout");
    });

    test.each([
      ["not_found", "no such blob", { blob: "ab12", size: 5 }],
      ["hash_mismatch", "range 0-10 does not verify", { path: "a/b", ok: false }],
      ["not_shared", "arena photos is not shared with laptop", { arena: "photos", peer: null }],
    ] as const)(
      "a handler's RealizeError %s arrives with its code, message and data",
      async (code, message, data) => {
        const { connect } = await start();
        const { client } = await connect();
        const error = await rejection(client.call(m.fail, { code, message, data: { ...data } }));
        expect(error).toBeInstanceOf(RealizeError);
        expect(error.code).toBe(code);
        expect(error.message).toBe(message);
        expect(error.data).toEqual({ ...data });
      },
    );

    test("any other exception arrives as internal without its details; the peer logs it", async () => {
      const { connect, serverLog } = await start();
      const { client } = await connect();
      const error = await rejection(client.call(m.crash, {}));
      expect(error.code).toBe("internal");
      expect(error.message).not.toContain("secret");
      expect(JSON.stringify(error.data)).not.toContain("secret");
      const logged = serverLog.entries.find((e) => e.message === "request handler failed");
      expect(String(logged?.fields.error)).toContain("secret detail");
    });

    test("a stream that fails midway delivers its chunks, then the error", async () => {
      const { connect } = await start();
      const { client } = await connect();
      const got: number[] = [];
      const error = await rejection(
        (async () => {
          for await (const i of client.stream(m.failAfter, { n: 3 })) got.push(i);
        })(),
      );
      expect(got).toEqual([0, 1, 2]);
      expect(error.code).toBe("not_found");
      expect(error.data).toEqual({ blob: "abc" });
    });

    test("an unknown method is refused and the connection keeps working", async () => {
      const { connect } = await start();
      const { client } = await connect();
      const unknown = { ...m.echo, name: "test.nonexistent" };
      const error = await rejection(client.call(unknown, { text: "x" }));
      expect(error.code).toBe("protocol");
      expect(error.message).toContain("test.nonexistent");
      expect(await client.call(m.echo, { text: "ok" })).toBe("ok");
    });

    test("the dialled side can call back over the same connection", async () => {
      const bed = await start();
      const { server } = await bed.connect();
      const error = await rejection(server.call(m.echo, { text: "x" }));
      expect(error.code).toBe("protocol");
      const link = await bed.endpoint.dial();
      const { testService, TestProbe } = await import("./rpc-test-support.ts");
      const probe = new TestProbe();
      const client = new RpcConnection(link, {
        service: testService(probe),
        logger: bed.clientLog,
      });
      const serverSide = await bed.accepted.next();
      expect(await serverSide.call(m.echo, { text: "back" })).toBe("back");
      expect(probe.calls).toBe(1);
      client.close();
    });

    test.each([
      ["version 1, before readSmall answered hashes", 1],
      ["a newer version", PROTOCOL_VERSION + 1],
    ])("a peer of %s is refused, both sides naming both versions", async (_, old) => {
      expect(old).not.toBe(PROTOCOL_VERSION);
      const bed = await start();
      const link = await bed.endpoint.dial();
      const client = new RpcConnection(link, { version: old, logger: bed.clientLog });
      const server = await bed.accepted.next();
      const [ours, theirs] = await Promise.all([rejection(client.ready), rejection(server.ready)]);
      expect(ours.code).toBe("version_mismatch");
      expect(ours.data).toMatchObject({ ours: old, theirs: PROTOCOL_VERSION });
      expect(theirs.code).toBe("version_mismatch");
      expect(theirs.data).toMatchObject({ ours: PROTOCOL_VERSION, theirs: old });
      expect(theirs.message).toBe(
        `peer alpha speaks protocol version ${old}, this peer speaks version ${PROTOCOL_VERSION}`,
      );
      expect(ours.message).toContain(`version ${old}`);
      expect(ours.message).toContain(`version ${PROTOCOL_VERSION}`);
      expect((await rejection(client.call(m.echo, { text: "x" }))).code).toBe("version_mismatch");
      const { client: good } = await bed.connect();
      expect(await good.call(m.echo, { text: "fine" })).toBe("fine");
    });

    test("closing a connection ends the requests in flight on both sides", async () => {
      const { connect, probe } = await start();
      const { client, server } = await connect();
      const call = client.call(m.hang, {});
      while (probe.calls === 0) await settle(1);
      client.close();
      expect((await rejection(call)).code).toBe("cancelled");
      expect(await server.closed).toBeUndefined();
      while (probe.aborts.length === 0) await settle(1);
      expect(client.open).toBe(false);
    });

    test("a link that breaks fails the calls in flight with unreachable", async () => {
      const bed = await start();
      const link = await bed.endpoint.dial();
      const client = new RpcConnection(link, { logger: bed.clientLog });
      const server = await bed.accepted.next();
      await client.ready;
      const call = client.call(m.hang, {});
      while (bed.probe.calls === 0) await settle(1);
      link.stream.destroy();
      const error = await rejection(call);
      expect(["unreachable", "cancelled"]).toContain(error.code);
      await server.closed;
      while (bed.probe.aborts.length === 0) await settle(1);
      const { client: good } = await bed.connect();
      expect(await good.call(m.echo, { text: "fine" })).toBe("fine");
    });

    test("an exception while handling a reply fails that connection's requests, not others'", async () => {
      const { connect, probe } = await start();
      const { client, server } = await connect();
      const { client: other } = await connect();
      const brittle = callMethod(m.echo.name, {
        args: m.echo.args,
        result: {
          decode() {
            throw new TypeError("detached ArrayBufferView");
          },
          encode: (value: string) => value,
        },
      });
      const hanging = client.call(m.hang, {});
      while (probe.calls === 0) await settle(1);
      const error = await boundedWait(rejection(client.call(brittle, { text: "x" })), "the call");
      expect(error.code).toBe("protocol");
      expect(error.message).toContain(`from peer ${client.peer} at ${client.address}`);
      expect(error.message).toEndWith("could not be handled: detached ArrayBufferView");
      expect((await boundedWait(rejection(hanging), "the other call")).code).toBe("protocol");
      expect((await boundedWait(server.closed, "the peer's side to close"))?.code).toBe("protocol");
      expect(await other.call(m.echo, { text: "fine" })).toBe("fine");
    });

    test("byte counters see both directions", async () => {
      const { connect } = await start();
      const { client, server } = await connect();
      await client.call(m.echo, { text: "x".repeat(1000) });
      expect(client.bytes.written).toBeGreaterThan(1000);
      expect(client.bytes.read).toBeGreaterThan(1000);
      expect(server.bytes.read).toBe(client.bytes.written);
    });
  });
}
