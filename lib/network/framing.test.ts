import { describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import fc from "fast-check";
import { RealizeError } from "../model/errors.ts";
import { encodeFrame, FrameChannel } from "./framing.ts";
import { memoryLinkPair } from "./memory-transport.ts";
import { boundedWait } from "./rpc-test-support.ts";

/** A channel reading whatever is written into a loopback stream, recording what it saw. */
function reader(maxFrame?: number) {
  const stream = new PassThrough();
  const frames: unknown[] = [];
  const closes: (RealizeError | undefined)[] = [];
  let resolveClosed: (reason: RealizeError | undefined) => void = () => {};
  const closed = new Promise<RealizeError | undefined>((resolve) => {
    resolveClosed = resolve;
  });
  const channel = new FrameChannel(
    stream,
    {
      frame: (value) => frames.push(value),
      closed: (reason) => {
        closes.push(reason);
        resolveClosed(reason);
      },
    },
    { maxFrame },
  );
  return { stream, channel, frames, closes, closed };
}

function header(length: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(length, 0);
  return bytes;
}

/**
 * Plain data that survives CBOR unchanged: JSON values without -0 (encoded as 0) or
 * `__proto__` keys (renamed on decoding, against prototype pollution), and byte strings.
 */
const value = fc.oneof(
  fc
    .jsonValue()
    .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
    .filter((v) => !JSON.stringify(v).includes('"__proto__"')),
  fc.uint8Array().map((b) => Buffer.from(b)),
);

describe("frames", () => {
  test("values arrive whole and in order, however the bytes are split", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(value, { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (values, cuts) => {
          const { stream, frames, closed } = reader();
          const bytes = Buffer.concat(values.map((v) => encodeFrame(v)));
          const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
          let at = 0;
          for (const point of [...points, bytes.length]) {
            stream.write(bytes.subarray(at, point));
            at = point;
          }
          stream.end();
          expect(await closed).toBeUndefined();
          expect(frames).toEqual(values);
        },
      ),
      { numRuns: 300 },
    );
  });

  test.each([
    [1024, 1024, true],
    [1024, 1025, false],
    [1024, 0xffffffff, false],
    [1024, 0, false],
  ])("limit %d, length prefix %d: accepted %p", async (maxFrame, length, accepted) => {
    const { stream, frames, closed } = reader(maxFrame);
    stream.write(header(length));
    if (accepted)
      stream.write(Buffer.concat([Buffer.from([0x59, 0x03, 0xfd]), Buffer.alloc(1021)]));
    if (accepted) {
      stream.end();
      expect(await closed).toBeUndefined();
      expect(frames).toHaveLength(1);
    } else {
      const reason = await closed;
      expect(reason?.code).toBe("protocol");
      expect(reason?.message).toMatch(length === 0 ? /empty frame/ : /exceeds the limit of 1024/);
      expect(stream.destroyed).toBe(true);
    }
  });

  test.each([
    [[0x00, 0x00], "truncated frame: the connection ended after 2 bytes of a frame header"],
    [[0, 0, 0, 9, 0x01], "truncated frame: the connection ended after 5 bytes of a 9-byte frame"],
  ])("EOF inside a frame is a truncated frame", async (bytes, message) => {
    const { stream, closed, frames } = reader();
    stream.end(Buffer.from(bytes));
    expect((await closed)?.message).toBe(message);
    expect(frames).toEqual([]);
  });

  test.each([
    ["a break code alone", [0xff]],
    ["two values", [0x01, 0x02]],
    ["a cut-off string", [0x63, 0x61]],
    ["an array claiming 2^32 items", [0x9b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]],
  ])("%s is undecodable CBOR", async (_, body) => {
    const { stream, closed, frames } = reader();
    stream.write(Buffer.concat([encodeFrame("before"), header(body.length), Buffer.from(body)]));
    expect((await closed)?.message).toMatch(/^undecodable CBOR/);
    expect(frames).toEqual(["before"]);
  });

  test("a closing channel reports once, however many ways the stream ends", async () => {
    const { stream, channel, closes, closed } = reader();
    stream.write(header(10 ** 9));
    await closed;
    channel.fail(new RealizeError("protocol", "again"));
    channel.close();
    stream.destroy(new Error("late"));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(closes).toHaveLength(1);
  });

  test.each([
    ["the frame handler", "a 7-byte frame could not be handled: detached ArrayBufferView"],
    ["the byte meter", "reading frames failed: detached ArrayBufferView"],
  ])("an exception thrown by %s breaks the channel", async (where, message) => {
    const [a, b] = memoryLinkPair({ name: "a" }, { name: "b" });
    const frames: unknown[] = [];
    const detached = () => {
      throw new TypeError("detached ArrayBufferView");
    };
    let reportClosed: (reason: RealizeError | undefined) => void = () => {};
    const closed = new Promise<RealizeError | undefined>((resolve) => {
      reportClosed = resolve;
    });
    const receiver = new FrameChannel(
      b.stream,
      {
        frame: (value) => {
          if (value === "poison") detached();
          frames.push(value);
        },
        closed: reportClosed,
      },
      { meter: { read: where === "the byte meter" ? detached : undefined } },
    );
    const sender = new FrameChannel(a.stream, { frame() {}, closed() {} });
    sender.send(where === "the byte meter" ? "first" : "poison");
    sender.send("after");
    const reason = await boundedWait(closed, "the channel to report why it closed");
    expect(reason?.code).toBe("protocol");
    expect(reason?.message).toBe(message);
    expect(reason?.cause).toBeInstanceOf(TypeError);
    expect(receiver.open).toBe(false);
    expect(b.stream.destroyed).toBe(true);
    expect(frames).toEqual([]);
  });

  test("sending a value over the limit throws and writes nothing", () => {
    const [a] = memoryLinkPair({ name: "a" }, { name: "b" });
    const channel = new FrameChannel(a.stream, { frame() {}, closed() {} }, { maxFrame: 100 });
    expect(() => channel.send(new Uint8Array(200))).toThrow(/exceeds the frame limit of 100/);
    expect(channel.bytesWritten).toBe(0);
    channel.fail(new RealizeError("cancelled", "done"));
    expect(() => channel.send(1)).toThrow(RealizeError);
  });

  test("large bytes are written from their own memory and arrive whole", async () => {
    const wire = new PassThrough();
    const written: Buffer[] = [];
    wire.on("data", (piece: Buffer) => written.push(piece));
    const payload = Buffer.alloc(300_000, 9);
    const message = { t: "chunk", id: 4, data: payload };
    new FrameChannel(wire, { frame() {}, closed() {} }).send(message);
    expect(written.some((piece) => piece.buffer === payload.buffer)).toBe(true);
    const { stream, frames, closed } = reader();
    for (const piece of written) stream.write(piece);
    stream.end();
    expect(await closed).toBeUndefined();
    expect(frames).toEqual([message]);
  });

  test("byte counters and meter hooks count every byte both ways", async () => {
    const [a, b] = memoryLinkPair({ name: "a" }, { name: "b" });
    const metered = { read: 0, written: 0 };
    const meter = {
      read: (n: number) => {
        metered.read += n;
      },
      written: (n: number) => {
        metered.written += n;
      },
    };
    const got: unknown[] = [];
    const sender = new FrameChannel(a.stream, { frame() {}, closed() {} }, { meter });
    const receiver = new FrameChannel(
      b.stream,
      { frame: (v) => got.push(v), closed() {} },
      { meter },
    );
    const values = ["x", { y: [1, 2, 3] }, Buffer.alloc(5000), { data: Buffer.alloc(100_000, 3) }];
    for (const v of values) sender.send(v);
    while (got.length < values.length) await new Promise((resolve) => setTimeout(resolve, 1));
    const total = values.reduce((sum: number, v) => sum + encodeFrame(v).length, 0);
    expect(sender.bytesWritten).toBe(total);
    expect(receiver.bytesRead).toBe(total);
    expect(metered).toEqual({ read: total, written: total });
    sender.close();
  });
});
