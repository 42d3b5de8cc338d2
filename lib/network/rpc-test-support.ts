import * as v from "valibot";
import { isErrorCode, RealizeError } from "../model/errors.ts";
import { Hash } from "../model/hash.ts";
import { type CapturingLogger, capturingLogger } from "../model/logger.ts";
import { FrameChannel } from "./framing.ts";
import type { Link } from "./link.ts";
import { memoryLinkPair } from "./memory-transport.ts";
import { callMethod, schemaCodec, streamMethod } from "./method.ts";
import { PROTOCOL_VERSION, RpcConnection, type RpcConnectionOptions } from "./rpc-connection.ts";
import { RpcServer } from "./rpc-server.ts";
import { Service } from "./service.ts";

/**
 * Test fixtures shared by the RPC conformance and bad-input suites: a service whose
 * handlers report what they did to a probe, and a server/client set-up over any transport.
 */

/** A transport under test: something that accepts links and dials them. */
export interface LinkHarness {
  readonly name: string;
  /** Starts accepting; `accept` gets the server side of each authenticated link. */
  listen(accept: (link: Link) => void): Promise<LinkEndpoint>;
}

/** A listening transport: dial it as a known, good peer. */
export interface LinkEndpoint {
  dial(): Promise<Link>;
  close(): Promise<void>;
}

const text = schemaCodec(v.object({ text: v.string() }));
const empty = schemaCodec(v.object({}));
const hashCodec = schemaCodec(
  v.pipe(
    v.instance(Uint8Array),
    v.length(32),
    v.transform((bytes) => Hash.fromBytes(bytes)),
  ),
  (hash) => hash.bytes,
);

/** The methods of the test service. */
export const testMethods = {
  echo: callMethod("test.echo", { args: text, result: schemaCodec(v.string()) }),
  hold: callMethod("test.hold", {
    args: schemaCodec(v.object({ key: v.number() })),
    result: schemaCodec(v.number()),
  }),
  hang: callMethod("test.hang", { args: empty, result: schemaCodec(v.null()) }),
  fail: callMethod("test.fail", {
    args: schemaCodec(
      v.object({
        code: v.string(),
        message: v.string(),
        data: v.record(v.string(), v.union([v.string(), v.number(), v.boolean(), v.null()])),
      }),
    ),
    result: schemaCodec(v.null()),
  }),
  crash: callMethod("test.crash", { args: empty, result: schemaCodec(v.null()) }),
  nextHash: callMethod("test.nextHash", { args: hashCodec, result: hashCodec }),
  count: streamMethod("test.count", {
    args: schemaCodec(v.object({ n: v.number(), size: v.number() })),
    chunk: schemaCodec(v.object({ index: v.number(), data: v.instance(Uint8Array) })),
  }),
  endless: streamMethod("test.endless", { args: empty, chunk: schemaCodec(v.number()) }),
  failAfter: streamMethod("test.failAfter", {
    args: schemaCodec(v.object({ n: v.number() })),
    chunk: schemaCodec(v.number()),
  }),
};

/** What the test service's handlers did: every handler counts in `calls`. */
export class TestProbe {
  calls = 0;
  produced = 0;
  readonly aborts: unknown[] = [];
  private readonly held = new Map<number, () => void>();
  private finished: (() => void) | undefined;
  /** Resolves when the latest `endless` stream's generator has run its `finally`. */
  endlessFinished = new Promise<void>((resolve) => {
    this.finished = resolve;
  });

  /** Lets the `hold` call with `key` return. */
  release(key: number): void {
    this.held.get(key)?.();
  }

  /** Number of `hold` calls waiting. */
  get holding(): number {
    return this.held.size;
  }

  wait(key: number): Promise<void> {
    return new Promise((resolve) => this.held.set(key, resolve));
  }

  endlessDone(): void {
    this.finished?.();
  }
}

function untilAborted(signal: AbortSignal, probe: TestProbe): Promise<null> {
  return new Promise((_, reject) =>
    signal.addEventListener("abort", () => {
      probe.aborts.push(signal.reason);
      reject(signal.reason);
    }),
  );
}

/** The service every transport is tested with. */
export function testService(probe: TestProbe): Service {
  const m = testMethods;
  return new Service()
    .on(m.echo, ({ text }) => {
      probe.calls++;
      return text;
    })
    .on(m.hold, async ({ key }) => {
      probe.calls++;
      await probe.wait(key);
      return key;
    })
    .on(m.hang, (_, { signal }) => {
      probe.calls++;
      return untilAborted(signal, probe);
    })
    .on(m.fail, ({ code, message, data }) => {
      probe.calls++;
      throw new RealizeError(isErrorCode(code) ? code : "internal", message, data);
    })
    .on(m.crash, () => {
      probe.calls++;
      throw new TypeError("secret detail at /home/someone/file.ts:12");
    })
    .on(m.nextHash, (hash) => {
      probe.calls++;
      const bytes = Uint8Array.from(hash.bytes);
      bytes[0] = ((bytes[0] ?? 0) + 1) & 0xff;
      return Hash.fromBytes(bytes);
    })
    .onStream(m.count, async function* ({ n, size }) {
      probe.calls++;
      for (let index = 0; index < n; index++) {
        yield { index, data: new Uint8Array(size).fill(index & 0xff) };
      }
    })
    .onStream(m.endless, async function* () {
      probe.calls++;
      try {
        for (let i = 0; ; i++) {
          probe.produced = i + 1;
          yield i;
        }
      } finally {
        probe.endlessDone();
      }
    })
    .onStream(m.failAfter, async function* ({ n }) {
      probe.calls++;
      for (let i = 0; i < n; i++) yield i;
      throw new RealizeError("not_found", "blob gone", { blob: "abc" });
    });
}

/**
 * `promise`'s outcome, or a failure naming `what` when it has not settled within 5 s: a
 * test of something that used to hang fails instead of stalling the suite.
 */
export function boundedWait<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fallback = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after 5 s: ${what}`)), 5000);
  });
  return Promise.race([promise, fallback]).finally(() => clearTimeout(timer));
}

/** A queue of values pushed by callbacks and awaited one by one. */
export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((value: T) => void)[] = [];

  push(value: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(value);
    else this.items.push(value);
  }

  next(): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** The hello a peer of this protocol version sends first, as it goes on the wire. */
export const HELLO = { t: "hello", protocol: "realize", version: PROTOCOL_VERSION };

/** A connection under test facing a hand-driven peer, from `facingRawPeer`. */
export interface RawPeerBed {
  /** The connection under test ("alpha"), serving the test service. */
  readonly connection: RpcConnection;
  /** Its side of the link. */
  readonly ours: Link;
  /** The peer's side ("mallory"): write raw bytes to its stream. */
  readonly theirs: Link;
  /** Frames to the connection, sent as given (nothing says hello unless the test does). */
  readonly raw: FrameChannel;
  /** Every frame the connection sent, decoded, in order. */
  readonly received: AsyncQueue<unknown>;
  readonly log: CapturingLogger;
  readonly probe: TestProbe;
}

/** A connection under test over an in-memory link, facing a peer that reads and writes raw frames. */
export function facingRawPeer(options: RpcConnectionOptions = {}): RawPeerBed {
  const [ours, theirs] = memoryLinkPair({ name: "alpha" }, { name: "mallory" });
  const received = new AsyncQueue<unknown>();
  const raw = new FrameChannel(theirs.stream, { frame: (v) => received.push(v), closed() {} });
  const log = capturingLogger();
  const probe = new TestProbe();
  const connection = new RpcConnection(ours, {
    service: testService(probe),
    logger: log,
    ...options,
  });
  return { connection, ours, theirs, raw, received, log, probe };
}

/** A running test server and a way to connect good clients to it. */
export interface TestBed {
  readonly probe: TestProbe;
  readonly serverLog: CapturingLogger;
  readonly clientLog: CapturingLogger;
  readonly endpoint: LinkEndpoint;
  /** Server-side connections, in the order links arrived. */
  readonly accepted: AsyncQueue<RpcConnection>;
  /** A good client connection and the server's side of it, both past hello. */
  connect(
    options?: RpcConnectionOptions,
  ): Promise<{ client: RpcConnection; server: RpcConnection }>;
  stop(): Promise<void>;
}

/** Starts the test service on `harness`; both sides use `options`. */
export async function startTestBed(
  harness: LinkHarness,
  options: RpcConnectionOptions = {},
): Promise<TestBed> {
  const probe = new TestProbe();
  const serverLog = capturingLogger();
  const clientLog = capturingLogger();
  const server = new RpcServer({ ...options, service: testService(probe), logger: serverLog });
  const accepted = new AsyncQueue<RpcConnection>();
  const endpoint = await harness.listen((link) => accepted.push(server.accept(link)));
  const clients: RpcConnection[] = [];
  return {
    probe,
    serverLog,
    clientLog,
    endpoint,
    accepted,
    async connect(clientOptions = {}) {
      const link = await endpoint.dial();
      const client = new RpcConnection(link, { ...options, logger: clientLog, ...clientOptions });
      clients.push(client);
      const serverSide = await accepted.next();
      await Promise.all([client.ready, serverSide.ready]);
      return { client, server: serverSide };
    },
    async stop() {
      for (const client of clients) client.close();
      await server.close();
      await endpoint.close();
    },
  };
}
