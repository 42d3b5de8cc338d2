/**
 * RPC cost over real TLS 1.3 on loopback: streams SIZE MiB as 256 KiB chunks through an RPC
 * stream (framing, CBOR, credit window) and, in the same run, writes the same bytes over a
 * bare pinned-key TLS link; prints both rates and their ratio. Then measures the round trip
 * of small calls, one at a time and 64 in flight.
 *
 *   [WINDOW=16] bun bench/transport/rpc.ts [SIZE_MIB] [CALLS]
 */
import * as v from "valibot";
import { silentLogger } from "../../lib/model/logger.ts";
import type { Link } from "../../lib/network/link.ts";
import { callMethod, schemaCodec, streamMethod } from "../../lib/network/method.ts";
import { RpcConnection } from "../../lib/network/rpc-connection.ts";
import { Service } from "../../lib/network/service.ts";
import { testPeer } from "../../lib/network/tls-test-support.ts";
import { tlsDial, tlsListen } from "../../lib/network/tls-transport.ts";

const sizeMiB = Number(process.argv[2] ?? 512);
const calls = Number(process.argv[3] ?? 5000);
const CHUNK = 256 * 1024;
const chunks = Math.ceil((sizeMiB * 1024 * 1024) / CHUNK);

const ping = callMethod("bench.ping", {
  args: schemaCodec(v.number()),
  result: schemaCodec(v.number()),
});
const blob = streamMethod("bench.blob", {
  args: schemaCodec(v.object({ chunks: v.number() })),
  chunk: schemaCodec(v.instance(Uint8Array)),
});

const alpha = testPeer("alpha");
const beta = testPeer("beta");
const data = new Uint8Array(CHUNK).fill(7);
const service = new Service()
  .on(ping, (n) => n)
  .onStream(blob, async function* ({ chunks }) {
    for (let i = 0; i < chunks; i++) yield data;
  });

let onLink: (link: Link) => void = () => {};
const listener = await tlsListen({
  identity: beta,
  listen: { host: "127.0.0.1", port: 0 },
  peers: () => [alpha.pinned],
  logger: silentLogger,
  onLink: (link) => onLink(link),
});
const dial = () =>
  tlsDial({ identity: alpha, peer: { ...beta.pinned, address: listener.address } });
const mb = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

/** The same bytes in the same direction (dialled side to dialler) on a bare link. */
async function rawTls(): Promise<number> {
  onLink = async (link) => {
    for (let i = 0; i < chunks; i++) {
      if (!link.stream.write(data))
        await new Promise((resolve) => link.stream.once("drain", resolve));
    }
  };
  const link = await dial();
  const start = performance.now();
  const end = await new Promise<number>((resolve) => {
    let got = 0;
    link.stream.on("data", (chunk: Buffer) => {
      got += chunk.length;
      if (got >= chunks * CHUNK) resolve(performance.now());
    });
  });
  link.stream.destroy();
  return end - start;
}

async function rpcStream(client: RpcConnection): Promise<number> {
  const start = performance.now();
  let got = 0;
  for await (const chunk of client.stream(blob, { chunks })) got += chunk.length;
  if (got !== chunks * CHUNK) throw new Error(`got ${got} bytes`);
  return performance.now() - start;
}

onLink = () => {};
const rawMs = await rawTls();
onLink = (link) => new RpcConnection(link, { service, logger: silentLogger });
const client = new RpcConnection(await dial(), {
  logger: silentLogger,
  maxFrame: 1024 * 1024,
  window: Number(process.env.WINDOW ?? 16),
});
await client.ready;
const rpcMs = await rpcStream(client);
const bytes = chunks * CHUNK;
console.log(`stream ${sizeMiB} MiB in ${CHUNK / 1024} KiB chunks over TLS 1.3 (loopback)`);
console.log(`  bare TLS link   ${mb(bytes, rawMs).toFixed(0)} MB/s`);
console.log(`  RPC stream      ${mb(bytes, rpcMs).toFixed(0)} MB/s`);
console.log(`  ratio RPC/bare  ${(rawMs / rpcMs).toFixed(2)}`);

let start = performance.now();
for (let i = 0; i < calls; i++) await client.call(ping, i);
const serialUs = ((performance.now() - start) * 1000) / calls;
start = performance.now();
for (let done = 0; done < calls; done += 64) {
  await Promise.all(
    Array.from({ length: Math.min(64, calls - done) }, (_, i) => client.call(ping, i)),
  );
}
const parallelUs = ((performance.now() - start) * 1000) / calls;
console.log(
  `${calls} small calls: ${serialUs.toFixed(0)} µs each one at a time, ${parallelUs.toFixed(1)} µs each with 64 in flight`,
);
client.close();
await listener.close();
