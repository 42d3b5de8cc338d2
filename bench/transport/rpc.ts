/**
 * RPC cost over real pinned-key TLS 1.3 between two processes on loopback. This process
 * spawns a server (`--serve`, the same file) with two listeners of the same identity and TLS
 * settings: one answers RPC (a stream method sending file-sized chunks under credit
 * backpressure, and a small call), the other writes raw bytes on a bare TLS link. Each round
 * streams SIZE MiB from the server to this process over each of the two, alternating which
 * goes first, and prints both rates and their ratio; then the rate of small calls, one at a
 * time and with 64 in flight. One untimed round of each kind comes first (warm code).
 *
 * The machine is shared, so each round also says how many cores other processes kept busy
 * meanwhile (from /proc); rounds go on until ROUNDS of them were quiet (below a tenth of a
 * core; at most 4 × ROUNDS rounds), and the last line holds the medians of the quiet rounds.
 * The chunk size is the sync protocol's read chunk (sync-wire.ts READ_CHUNK) unless
 * CHUNK_KIB says otherwise; the stream window is the connection's default unless WINDOW
 * says otherwise.
 *
 *   bun bench/transport/rpc.ts [SIZE_MIB=1024] [ROUNDS=3] [CALLS=20000]
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
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
/** A round counts when other processes kept less than this many cores busy during it. */
const QUIET_CORES = 0.1;
/** Rounds tried for each quiet round wanted, before giving up. */
const MAX_ROUNDS_PER_QUIET = 4;

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
    const timed = <T>(work: () => Promise<T>) => besides(server.pid, work);
    console.log(
      `${sizeMiB} MiB in ${CHUNK / 1024} KiB chunks, server process to client process, TLS 1.3 on 127.0.0.1` +
        (WINDOW ? `, window ${WINDOW}` : ""),
    );
    console.log(
      "round  bare TLS MB/s  RPC stream MB/s  ratio  calls/s 1 in flight  calls/s 64 in flight  others (cores)",
    );
    await rawRound();
    await rpcRound();
    await callRound(64);
    const quiet: number[][] = [];
    const all: number[][] = [];
    for (let round = 1; quiet.length < rounds && round <= rounds * MAX_ROUNDS_PER_QUIET; round++) {
      const stream =
        round % 2 === 1
          ? [await timed(rawRound), await timed(rpcRound)]
          : [await timed(rpcRound), await timed(rawRound)].reverse();
      const [rawMs, rpcMs] = stream.map(([ms]) => ms) as [number, number];
      const [serial, parallel] = [
        await timed(() => callRound(1)),
        await timed(() => callRound(64)),
      ];
      const others = Math.max(...[...stream, serial, parallel].map(([, cores]) => cores));
      const row = [mbs(rawMs), mbs(rpcMs), rawMs / rpcMs, serial[0], parallel[0], others];
      all.push(row);
      if (others < QUIET_CORES) quiet.push(row);
      console.log(formatRow(String(round), row) + (others < QUIET_CORES ? "" : "  (not quiet)"));
    }
    const kept = quiet.length > 0 ? quiet : all;
    const medians = (all[0] ?? []).map((_, i) => median(kept.map((row) => row[i] as number)));
    console.log(formatRow("median", medians));
    console.log(
      quiet.length > 0
        ? `medians of the ${quiet.length} quiet rounds (others below ${QUIET_CORES} core)`
        : "no round was quiet: medians of all rounds",
    );
  } finally {
    server.stdin.end();
    server.kill();
  }
}

/** Seconds of CPU the machine spent busy since boot (/proc/stat, 100 ticks a second). */
function machineBusy(): number {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.slice(1).map(Number);
  const ticks = [user, nice, system, irq, softirq, steal].reduce((a = 0, b = 0) => a + b, 0);
  return (ticks ?? 0) / 100;
}

/** Seconds of CPU process `pid` used so far (/proc/PID/stat utime + stime). */
function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Runs `work` and says how many cores other processes than this one and `child` kept busy
 * meanwhile (the machine is shared: a round others slowed down says little about us).
 */
async function besides<T>(child: number, work: () => Promise<T>): Promise<[T, number]> {
  const before = { machine: machineBusy(), child: processCpu(child), own: process.cpuUsage() };
  const start = performance.now();
  const value = await work();
  const seconds = (performance.now() - start) / 1000;
  const own = process.cpuUsage(before.own);
  const ours = (own.user + own.system) / 1e6 + processCpu(child) - before.child;
  return [value, Math.max(0, machineBusy() - before.machine - ours) / seconds];
}

function formatRow(label: string, [raw, rpc, ratio, serial, parallel, others]: number[]): string {
  return [
    label.padEnd(6),
    (raw ?? 0).toFixed(0).padStart(13),
    (rpc ?? 0).toFixed(0).padStart(16),
    (ratio ?? 0).toFixed(2).padStart(6),
    (serial ?? 0).toFixed(0).padStart(20),
    (parallel ?? 0).toFixed(0).padStart(21),
    (others ?? 0).toFixed(2).padStart(15),
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
