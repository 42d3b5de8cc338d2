/**
 * Per-peer rate limit as the daemon applies it (limitLink on a real pinned-key TLS 1.3 link
 * on loopback, RPC on top): for SECONDS each, streams file-sized chunks through an RPC
 * stream with the cap on the sending side, then with the cap on the receiving side, and
 * prints the payload and wire rates against the cap. The wire rate (every byte of the
 * link: frames, credits) is what the bucket counts; payload is slightly less. The first
 * burst (a tenth of a second of the rate) is included, so about +1% over 10 s is expected.
 * Last, the cost of an unlimited limitLink hop against a bare link at full speed.
 *
 *   bun bench/transport/link-rate.ts [RATE_BYTES_PER_S] [SECONDS]
 */
import * as v from "valibot";
import { silentLogger } from "../../lib/model/logger.ts";
import { limitLink } from "../../lib/network/limit-link.ts";
import type { Link } from "../../lib/network/link.ts";
import { schemaCodec, streamMethod } from "../../lib/network/method.ts";
import { RpcConnection } from "../../lib/network/rpc-connection.ts";
import { Service } from "../../lib/network/service.ts";
import { testPeer } from "../../lib/network/tls-test-support.ts";
import { tlsDial, tlsListen } from "../../lib/network/tls-transport.ts";

const rate = Number(process.argv[2] ?? 5_000_000);
const seconds = Number(process.argv[3] ?? 10);
const CHUNK = 64 * 1024;

const blob = streamMethod("bench.blob", {
  args: schemaCodec(v.object({ ms: v.number() })),
  chunk: schemaCodec(v.instance(Uint8Array)),
});
const data = new Uint8Array(CHUNK).fill(7);
const service = new Service().onStream(blob, async function* ({ ms }) {
  const end = performance.now() + ms;
  while (performance.now() < end) yield data;
});

const alpha = testPeer("alpha");
const beta = testPeer("beta");
let wrapServer: (link: Link) => Link = (link) => link;
const listener = await tlsListen({
  identity: beta,
  listen: { host: "127.0.0.1", port: 0 },
  peers: () => [alpha.pinned],
  logger: silentLogger,
  onLink: (link) => new RpcConnection(wrapServer(link), { service, logger: silentLogger }),
});
const dial = () =>
  tlsDial({ identity: alpha, peer: { ...beta.pinned, address: listener.address } });

/** Streams for `ms` and returns payload and wire bytes per second seen by the client. */
async function run(clientLink: Link, ms: number): Promise<{ payload: number; wire: number }> {
  const client = new RpcConnection(clientLink, { logger: silentLogger });
  await client.ready;
  const before = client.bytes.read;
  const start = performance.now();
  let payload = 0;
  for await (const chunk of client.stream(blob, { ms })) payload += chunk.length;
  const elapsed = (performance.now() - start) / 1000;
  const wire = client.bytes.read - before;
  client.close();
  return { payload: payload / elapsed, wire: wire / elapsed };
}

const pct = (measured: number) => {
  const error = (measured / rate - 1) * 100;
  return `${error >= 0 ? "+" : ""}${error.toFixed(2)}%`;
};
const mb = (bps: number) => `${(bps / 1e6).toFixed(3)} MB/s`;

console.log(
  `cap ${mb(rate)}, ${seconds} s per direction, ${CHUNK / 1024} KiB chunks, TLS 1.3 loopback`,
);
wrapServer = (link) => limitLink(link, rate);
const sent = await run(await dial(), seconds * 1000);
console.log(
  `  send (cap on the sender)      payload ${mb(sent.payload)}  wire ${mb(sent.wire)}  error ${pct(sent.wire)}`,
);
wrapServer = (link) => link;
const received = await run(limitLink(await dial(), rate), seconds * 1000);
console.log(
  `  receive (cap on the reader)   payload ${mb(received.payload)}  wire ${mb(received.wire)}  error ${pct(received.wire)}`,
);

const fullMs = 3000;
const bare = await run(await dial(), fullMs);
wrapServer = (link) => limitLink(link, 0);
const hop = await run(limitLink(await dial(), 0), fullMs);
console.log(
  `unlimited: bare link ${mb(bare.payload)}, through limitLink(0) both ends ${mb(hop.payload)} (ratio ${(hop.payload / bare.payload).toFixed(2)})`,
);
await listener.close();
