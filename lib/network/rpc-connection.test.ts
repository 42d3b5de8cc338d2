import { describe, expect, test } from "bun:test";
import { rejection } from "../../fixtures/rejection.ts";
import { RealizeError } from "../model/errors.ts";
import { callMethod } from "./method.ts";
import { boundedWait, facingRawPeer, HELLO, testMethods as m } from "./rpc-test-support.ts";
import { Service } from "./service.ts";

describe("one RPC connection", () => {
  test("a deadline counts from the call, even while the peer has not said hello", async () => {
    const { connection } = facingRawPeer();
    const error = await rejection(
      connection.call(m.echo, { text: "x" }, { deadline: Date.now() + 20 }),
    );
    expect(error.code).toBe("timeout");
    connection.close();
  });

  test("a peer that never says hello is dropped with a logged reason", async () => {
    const { connection, log } = facingRawPeer({ helloTimeoutMs: 20 });
    const reason = await connection.closed;
    expect(reason?.message).toBe("no hello within 20 ms");
    expect(log.entries.at(-1)?.fields).toMatchObject({
      peer: "mallory",
      reason: "no hello within 20 ms",
    });
  });

  test("a call on a closed connection fails with unreachable, naming the peer", async () => {
    const { connection, raw } = facingRawPeer();
    raw.send(HELLO);
    await connection.ready;
    raw.close();
    await connection.closed;
    const error = await rejection(connection.call(m.echo, { text: "x" }));
    expect(error.code).toBe("unreachable");
    expect(error.message).toContain("mallory");
  });

  test("a call in flight when the link breaks fails naming the peer and the cause", async () => {
    const { connection, ours, raw } = facingRawPeer();
    raw.send(HELLO);
    await connection.ready;
    const call = connection.call(m.echo, { text: "x" });
    ours.stream.destroy(new Error("read ECONNRESET"));
    const error = await rejection(call);
    expect(error.code).toBe("unreachable");
    expect(error.message).toContain("peer mallory");
    expect(error.message).toContain("read ECONNRESET");
  });

  test("requests past the in-flight limit are refused; the connection stays", async () => {
    const { connection, raw, received, probe } = facingRawPeer({ maxInFlight: 2 });
    raw.send(HELLO);
    await connection.ready;
    for (const id of [1, 2, 3]) raw.send({ t: "req", id, method: m.hold.name, args: { key: id } });
    expect(await received.next()).toMatchObject({ t: "hello" });
    expect(await received.next()).toMatchObject({ t: "err", id: 3, err: { code: "refused" } });
    probe.release(1);
    expect(await received.next()).toEqual({ t: "res", id: 1, ok: 1 });
    expect(connection.open).toBe(true);
    connection.close();
  });

  test.each([
    [
      "a request id reused while in flight",
      [
        { t: "req", id: 1, method: "test.hold", args: { key: 1 } },
        { t: "req", id: 1, method: "test.hold", args: { key: 2 } },
      ],
      "request id 1 reused while in flight",
    ],
    ["a second hello", [HELLO], "a second hello"],
  ])("%s", async (_, frames, violation) => {
    const { connection, raw, log } = facingRawPeer();
    raw.send(HELLO);
    await connection.ready;
    for (const frame of frames) raw.send(frame);
    expect((await connection.closed)?.message).toBe(violation);
    expect(log.entries.at(-1)?.fields.reason).toBe(violation);
  });

  test("a request of the wrong kind is refused; the connection stays", async () => {
    const { connection, raw, received } = facingRawPeer();
    raw.send(HELLO);
    raw.send({ t: "req", id: 2, method: m.count.name, args: { n: 1, size: 1 } });
    raw.send({ t: "req", id: 3, method: m.echo.name, args: { text: "x" }, window: 4 });
    await received.next();
    expect(await received.next()).toMatchObject({
      t: "err",
      id: 2,
      err: { code: "protocol", message: "test.count is a stream method" },
    });
    expect(await received.next()).toMatchObject({
      t: "err",
      id: 3,
      err: { code: "protocol", message: "test.echo is a call method" },
    });
    expect(connection.open).toBe(true);
    connection.close();
  });

  test("a peer sending more chunks than granted is cut off", async () => {
    const { connection, raw, received } = facingRawPeer({ window: 2 });
    raw.send(HELLO);
    const stream = connection.stream(m.endless, {});
    await received.next();
    const request = (await received.next()) as { id: number; window: number };
    expect(request.window).toBe(2);
    for (let i = 0; i < 3; i++) raw.send({ t: "chunk", id: request.id, data: i });
    expect((await connection.closed)?.message).toBe(
      "chunk 3 of test.endless exceeds the 2 granted",
    );
    expect(await stream.next()).toEqual({ value: 0, done: false });
    expect(await stream.next()).toEqual({ value: 1, done: false });
    expect((await rejection(stream.next())).code).toBe("protocol");
  });

  test("replies to requests no longer in flight are ignored", async () => {
    const { connection, raw } = facingRawPeer();
    raw.send(HELLO);
    raw.send({ t: "res", id: 999, ok: "late" });
    raw.send({ t: "chunk", id: 998, data: 1 });
    raw.send({ t: "credit", id: 997, n: 3 });
    raw.send({ t: "cancel", id: 996 });
    const reply = connection.call(m.echo, { text: "x" });
    raw.send({ t: "res", id: 1, ok: "answer" });
    expect(await reply).toBe("answer");
    connection.close();
  });

  test("a result that fails its schema closes the connection and fails the call", async () => {
    const { connection, raw } = facingRawPeer();
    raw.send(HELLO);
    const reply = connection.call(m.echo, { text: "x" });
    raw.send({ t: "res", id: 1, ok: { not: "a string" } });
    const error = await rejection(reply);
    expect(error.code).toBe("protocol");
    expect(error.message).toMatch(/^malformed result of test\.echo: /);
    expect(connection.open).toBe(false);
  });

  test("an exception while handling a reply fails every call and stream on the connection", async () => {
    const { connection, raw, received, log } = facingRawPeer();
    const brittle = callMethod("test.brittle", {
      args: m.echo.args,
      result: {
        decode() {
          throw new TypeError("detached ArrayBufferView");
        },
        encode: (value: string) => value,
      },
    });
    raw.send(HELLO);
    const call = connection.call(brittle, { text: "x" });
    const stream = connection.stream(m.endless, {});
    expect(await received.next()).toMatchObject({ t: "hello" });
    expect(await received.next()).toMatchObject({ t: "req", id: 1 });
    expect(await received.next()).toMatchObject({ t: "req", id: 2 });
    raw.send({ t: "res", id: 1, ok: "answer" });
    const message =
      'a "res" message from peer mallory at memory could not be handled: detached ArrayBufferView';
    for (const pending of [call, stream.next()]) {
      const error = await boundedWait(rejection(pending), "a request on the broken connection");
      expect(error.code).toBe("protocol");
      expect(error.message).toBe(message);
      expect(error.data).toMatchObject({ peer: "mallory", address: "memory" });
    }
    expect((await boundedWait(connection.closed, "the connection to close"))?.message).toBe(
      message,
    );
    expect(await received.next()).toMatchObject({ t: "bye", err: { code: "protocol", message } });
    expect(log.entries.find((e) => e.level === "error")?.fields.error).toContain("TypeError");
  });

  test("a method name is registered once", () => {
    const service = new Service().on(m.echo, ({ text }) => text);
    expect(() => service.on(m.echo, ({ text }) => text)).toThrow(RealizeError);
  });
});
