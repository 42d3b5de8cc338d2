/**
 * RPC cost over real pinned-key TLS 1.3 between two processes on loopback. This process
 * spawns a server (`--serve`, the same file) with two listeners of the same identity and TLS
 * settings: one answers RPC (a stream method sending file-sized chunks under credit
 * backpressure, and a small call), the other writes raw bytes on a bare TLS link. Each round
 * streams SIZE MiB from the server to this process over each of the two, alternating which
 * goes first, and prints both rates and their ratio; then the rate of small calls, one at a
 * time and with 64 in flight. The last line holds the median of each column. The chunk size is the sync
 * protocol's read chunk (sync-wire.ts READ_CHUNK) unless CHUNK_KIB says otherwise; the
 * stream window is the connection's default unless WINDOW says otherwise. One untimed round
 * of each kind comes first, so the numbers are of warm code.
 *
 *   bun bench/transport/rpc.ts [SIZE_MIB=1024] [ROUNDS=3] [CALLS=20000]
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import * as v from "valibot";
import { silentLogger } from "../../lib/model/logger.ts";
import type { Link } from "../../lib/network/link.ts";
import { callMethod, schemaCodec, streamMethod } from "../../lib/network/method.ts";
import { RpcConnection } from "../../lib/network/rpc-connection.ts";
import { Service } from "../../lib/network/service.ts";
import { READ_CHUNK, wireData } from "../../lib/network/sync-wire.ts";
import { pinnedPeer, testPeer } from "../../lib/network/tls-test-support.ts";
import { type LocalIdentity, tlsDial, tlsListen } from "../../lib/network/tls-transport.ts";

const CHUNK = process.env.CHUNK_KIB ? Number(process.env.CHUNK_KIB) * 1024 : READ_CHUNK;
const WINDOW = process.env.WINDOW ? Number(process.env.WINDOW) : undefined;

const ping = callMethod("bench.ping", {
  args: schemaCodec(v.number()),
  result: schemaCodec(v.number()),
});
const blob = streamMethod("bench.blob", {
  args: schemaCodec(v.object({ chunks: v.pipe(v.number(), v.safeInteger(), v.minValue(0)) })),
  chunk: schemaCodec(wireData(CHUNK)),
});

/** What the parent hands the server: both keys, so each side pins the other. */
interface Keys {
  client: string;
  server: string;
}

if (process.argv[2] === "--serve") await serve(JSON.parse(process.env.BENCH_KEYS ?? "{}"));
else await run();

/** The server process: prints its two ports, serves until stdin closes. */
async function serve(keys: Keys): Promise<void> {
  const identity: LocalIdentity = { name: "beta", privateKey: createPrivateKey(keys.server) };
  const client = pinnedPeer("alpha", createPublicKey(createPrivateKey(keys.client)));
  const data = new Uint8Array(CHUNK).fill(7);
  const service = new Service()
    .on(ping, (n) => n)
    .onStream(blob, function* ({ chunks }) {
      for (let i = 0; i < chunks; i++) yield data;
    });
  const listen = (onLink: (link: Link) => void) =>
    tlsListen({
      identity,
      listen: { host: "127.0.0.1", port: 0 },
      peers: () => [client],
      logger: silentLogger,
      onLink,
    });
  const rpc = await listen((link) => new RpcConnection(link, { service, logger: silentLogger }));
  const raw = await listen((link) => {
    link.stream.once("data", async (request: Buffer) => {
      const chunks = request.readUInt32BE(0);
      for (let i = 0; i < chunks; i++) {
        if (!link.stream.write(data)) {
          await new Promise((resolve) => link.stream.once("drain", resolve));
        }
      }
    });
  });
  process.stdout.write(`${JSON.stringify({ rpc: rpc.address.port, raw: raw.address.port })}\n`);
  process.stdin.on("data", () => {});
  process.stdin.on("end", () => process.exit(0));
}

async function run(): Promise<void> {
  const sizeMiB = Number(process.argv[2] ?? 1024);
  const rounds = Number(process.argv[3] ?? 3);
  const calls = Number(process.argv[4] ?? 20_000);
  const chunks = Math.ceil((sizeMiB * 1024 * 1024) / CHUNK);
  const bytes = chunks * CHUNK;

  const alpha = testPeer("alpha");
  const beta = testPeer("beta");
  const pem = (peer: LocalIdentity) =>
    peer.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const server = Bun.spawn([process.execPath, import.meta.path, "--serve"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, BENCH_KEYS: JSON.stringify({ client: pem(alpha), server: pem(beta) }) },
  });
  try {
    const ports = JSON.parse(await firstLine(server.stdout)) as { rpc: number; raw: number };
    const dial = (port: number) =>
      tlsDial({ identity: alpha, peer: { ...beta.pinned, address: { host: "127.0.0.1", port } } });
    const connect = async () => {
      const connection = new RpcConnection(await dial(ports.rpc), {
        logger: silentLogger,
        window: WINDOW,
      });
      await connection.ready;
      return connection;
    };

    /** Milliseconds to receive `chunks` chunks on a bare link, from the request on. */
    const rawRound = async (): Promise<number> => {
      const link = await dial(ports.raw);
      const done = new Promise<number>((resolve) => {
        let got = 0;
        link.stream.on("data", (piece: Buffer) => {
          got += piece.length;
          if (got >= bytes) resolve(performance.now());
        });
      });
      const request = Buffer.alloc(4);
      request.writeUInt32BE(chunks);
      const start = performance.now();
      link.stream.write(request);
      const end = await done;
      link.stream.destroy();
      return end - start;
    };
    /** Milliseconds to consume `chunks` chunks of an RPC stream, from the request on. */
    const rpcRound = async (): Promise<number> => {
      const connection = await connect();
      const start = performance.now();
      let got = 0;
      for await (const chunk of connection.stream(blob, { chunks })) got += chunk.length;
      const end = performance.now();
      connection.close();
      if (got !== bytes) throw new Error(`the RPC stream brought ${got} bytes, not ${bytes}`);
      return end - start;
    };
    /** Calls per second with `inFlight` callers each waiting for its answer before the next. */
    const callRound = async (inFlight: number): Promise<number> => {
      const connection = await connect();
      let next = 0;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < calls) {
            const n = next++;
            if ((await connection.call(ping, n)) !== n) throw new Error("wrong answer");
          }
        }),
      );
      const seconds = (performance.now() - start) / 1000;
      connection.close();
      return calls / seconds;
    };

    const mbs = (ms: number) => bytes / 1e6 / (ms / 1000);
    console.log(
      `${sizeMiB} MiB in ${CHUNK / 1024} KiB chunks, server process to client process, TLS 1.3 on 127.0.0.1` +
        (WINDOW ? `, window ${WINDOW}` : ""),
    );
    console.log(
      "round  bare TLS MB/s  RPC stream MB/s  ratio  calls/s 1 in flight  calls/s 64 in flight",
    );
    const rows: number[][] = [];
    await rawRound();
    await rpcRound();
    await callRound(64);
    for (let round = 1; round <= rounds; round++) {
      const [rawMs, rpcMs] =
        round % 2 === 1
          ? [await rawRound(), await rpcRound()]
          : await rpcRound().then(async (rpcMs) => [await rawRound(), rpcMs]);
      const serial = await callRound(1);
      const parallel = await callRound(64);
      const row = [
        mbs(rawMs as number),
        mbs(rpcMs as number),
        (rawMs as number) / (rpcMs as number),
        serial,
        parallel,
      ];
      rows.push(row);
      console.log(formatRow(String(round), row));
    }
    console.log(
      formatRow(
        "median",
        rows[0]?.map((_, i) => median(rows.map((row) => row[i] as number))) ?? [],
      ),
    );
  } finally {
    server.stdin.end();
    server.kill();
  }
}

function formatRow(label: string, [raw, rpc, ratio, serial, parallel]: number[]): string {
  return [
    label.padEnd(6),
    (raw ?? 0).toFixed(0).padStart(13),
    (rpc ?? 0).toFixed(0).padStart(16),
    (ratio ?? 0).toFixed(2).padStart(6),
    (serial ?? 0).toFixed(0).padStart(20),
    (parallel ?? 0).toFixed(0).padStart(21),
  ].join(" ");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const piece of stream) {
    text += decoder.decode(piece, { stream: true });
    const newline = text.indexOf("\n");
    if (newline >= 0) return text.slice(0, newline);
  }
  throw new Error("the bench server ended before printing its ports");
}
