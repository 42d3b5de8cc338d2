import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Decoder, Encoder } from "cbor-x";
import fc from "fast-check";
import type { RealizeError } from "../model/errors.ts";
import { CBOR_OPTIONS, encodeFrame } from "./framing.ts";
import type { RpcConnection } from "./rpc-connection.ts";
import {
  HELLO,
  type LinkHarness,
  testMethods as m,
  startTestBed,
  type TestBed,
} from "./rpc-test-support.ts";
import { messageFromWire } from "./wire.ts";

/**
 * Frame-level bad input from a peer that passed authentication: random bytes, oversized
 * length prefixes, truncated frames, undecodable CBOR, valid CBOR of the wrong shape and
 * arguments that fail their method's schema. Each must close that one connection with a
 * logged reason before any handler runs, and the server must go on answering a good peer.
 */

/** How many generated cases each property runs. */
export interface BadInputRuns {
  random: number;
  oversize: number;
  truncated: number;
  undecodable: number;
  wrongShape: number;
  badArgs: number;
}

const MAX_FRAME = 64 * 1024;
const decoder = new Decoder(CBOR_OPTIONS);
const encoder = new Encoder(CBOR_OPTIONS);
const HELLO_FRAME = encodeFrame(HELLO);

function header(length: number): Uint8Array {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(length >>> 0, 0);
  return bytes;
}

function decodes(bytes: Uint8Array): boolean {
  try {
    decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function encodable(value: unknown): Uint8Array | undefined {
  try {
    const body = encoder.encode(value);
    return body.length > 0 && body.length <= MAX_FRAME && decodes(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

const anyValue = fc.anything({
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withNullPrototype: true,
  maxDepth: 3,
});

const id = fc.nat({ max: 1000 });
/** Well-formed messages of every kind, as they would be on the wire. */
const validMessage = fc.oneof(
  fc.constant(HELLO),
  fc.record({
    t: fc.constant("req"),
    id,
    method: fc.constant(m.echo.name),
    args: fc.record({ text: fc.string() }),
  }),
  fc.record({ t: fc.constant("res"), id, ok: fc.string() }),
  fc.record({
    t: fc.constant("err"),
    id,
    err: fc.record({ code: fc.constant("not_found"), message: fc.string(), data: fc.constant({}) }),
  }),
  fc.record({ t: fc.constant("chunk"), id, data: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ t: fc.constant("credit"), id, n: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ t: fc.constant("cancel"), id }),
);

/** A valid message with one field replaced by anything: almost always malformed. */
const mutatedMessage = fc.tuple(validMessage, fc.nat(), anyValue).map(([message, pick, value]) => {
  const keys = Object.keys(message);
  return { ...message, [keys[pick % keys.length] as string]: value };
});

/** CBOR bodies that decode fine but are no valid message. */
const wrongShapeBody = fc
  .oneof(anyValue, mutatedMessage)
  .map(encodable)
  .filter(
    (body): body is Uint8Array =>
      body !== undefined && messageFromWire(decoder.decode(body)) instanceof Error,
  );

/** Registers the bad-input properties for `harness`, each with `runs` generated cases. */
export function rpcBadInput(harness: LinkHarness, runs: BadInputRuns): void {
  describe(`bad input over ${harness.name}`, () => {
    let bed: TestBed;
    let good: RpcConnection;
    beforeAll(async () => {
      bed = await startTestBed(harness, { maxFrame: MAX_FRAME });
      good = (await bed.connect()).client;
    });
    afterAll(() => bed.stop());

    /**
     * Sends `bytes` as an authenticated peer (then EOF unless `keepOpen`), waits for the
     * server to close that connection, and checks what it logged and that nothing ran.
     */
    async function attack(bytes: Uint8Array, keepOpen = false): Promise<RealizeError> {
      const link = await bed.endpoint.dial();
      const server = await bed.accepted.next();
      const gone = new Promise((resolve) => {
        link.stream.on("end", resolve);
        link.stream.on("close", resolve);
      });
      link.stream.on("error", () => {});
      link.stream.on("data", () => {});
      link.stream.write(bytes);
      if (!keepOpen) link.stream.end();
      const reason = await server.closed;
      await gone;
      link.stream.destroy();
      expect(reason?.code).toBe("protocol");
      const logged = bed.serverLog.entries.filter(
        (e) => e.level === "warn" && e.fields.address === server.address,
      );
      expect(logged.map((e) => e.fields.reason)).toContain(reason?.message);
      expect(bed.probe.calls).toBe(goodCalls);
      return reason as RealizeError;
    }

    let goodCalls = 0;
    async function stillServing(): Promise<void> {
      goodCalls++;
      expect(await good.call(m.echo, { text: "still here" })).toBe("still here");
    }

    test("random bytes, with or without a hello first", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.uint8Array({ minLength: 1, maxLength: 2048 }),
          async (hello, bytes) => {
            await attack(Buffer.concat(hello ? [HELLO_FRAME, bytes] : [bytes]));
            await stillServing();
          },
        ),
        { numRuns: runs.random },
      );
    });

    test("a length prefix over the limit closes at once, up to 4 GiB", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: MAX_FRAME + 1, max: 0xffffffff }),
          fc.uint8Array({ maxLength: 64 }),
          async (length, tail) => {
            const reason = await attack(Buffer.concat([HELLO_FRAME, header(length), tail]), true);
            expect(reason.message).toContain(`frame of ${length} bytes exceeds the limit`);
            await stillServing();
          },
        ),
        { numRuns: runs.oversize, examples: [[0xffffffff, new Uint8Array()]] },
      );
    });

    test("a frame cut short by EOF", async () => {
      await fc.assert(
        fc.asyncProperty(validMessage, fc.nat(), async (message, cut) => {
          const frame = encodeFrame(message);
          const reason = await attack(
            Buffer.concat([HELLO_FRAME, frame.subarray(0, 1 + (cut % (frame.length - 1)))]),
          );
          expect(reason.message).toContain("truncated frame");
          await stillServing();
        }),
        { numRuns: runs.truncated },
      );
    });

    test("a frame that is not one CBOR value", async () => {
      const undecodable = fc
        .uint8Array({ minLength: 1, maxLength: 512 })
        .filter((b) => !decodes(b));
      await fc.assert(
        fc.asyncProperty(undecodable, async (body) => {
          const reason = await attack(Buffer.concat([HELLO_FRAME, header(body.length), body]));
          expect(reason.message).toContain("undecodable CBOR");
          await stillServing();
        }),
        { numRuns: runs.undecodable },
      );
    });

    test("valid CBOR of the wrong shape, before and after the hello", async () => {
      await fc.assert(
        fc.asyncProperty(fc.boolean(), wrongShapeBody, async (hello, body) => {
          const frame = Buffer.concat([header(body.length), body]);
          const reason = await attack(Buffer.concat(hello ? [HELLO_FRAME, frame] : [frame]));
          expect(reason.message).toContain("malformed message");
          await stillServing();
        }),
        { numRuns: runs.wrongShape },
      );
    });

    test("a request whose arguments fail the method's schema", async () => {
      const badArgs = anyValue
        .map(encodable)
        .filter((body): body is Uint8Array => body !== undefined)
        .map((body) => decoder.decode(body) as unknown)
        .filter((args) => !m.echo.args.decode(args).ok);
      await fc.assert(
        fc.asyncProperty(badArgs, id, async (args, requestId) => {
          const request = encodeFrame({ t: "req", id: requestId, method: m.echo.name, args });
          const reason = await attack(Buffer.concat([HELLO_FRAME, request]));
          expect(reason.message).toContain(`malformed arguments of ${m.echo.name}`);
          await stillServing();
        }),
        { numRuns: runs.badArgs },
      );
    });

    test("afterwards a new peer connects and is served", async () => {
      goodCalls++;
      const { client } = await bed.connect();
      expect(await client.call(m.echo, { text: "new peer" })).toBe("new peer");
      expect(bed.probe.calls).toBe(goodCalls);
    });
  });
}
