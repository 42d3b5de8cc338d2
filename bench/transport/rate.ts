/**
 * Rate-limit accuracy on the real clock: streams 64 KiB chunks for 10 s at 5 MB/s through
 * rateLimitedStream (sending side) and paceIncoming (receiving side) at the same time, and
 * prints the measured rates and their error against the cap. The error includes the first
 * burst (a tenth of a second of the rate), so about +1% is expected.
 *
 *   bun bench/transport/rate.ts [RATE_BYTES_PER_S] [SECONDS] [CHUNK_BYTES]
 */
import { paceIncoming, rateLimitedStream } from "../../lib/network/rate-limited-stream.ts";
import { TokenBucket } from "../../lib/network/token-bucket.ts";

const rate = Number(process.argv[2] ?? 5_000_000);
const seconds = Number(process.argv[3] ?? 10);
const chunkSize = Number(process.argv[4] ?? 64 * 1024);

function* endless(chunk: Uint8Array): Generator<Uint8Array> {
  for (;;) yield chunk;
}

async function measure(name: string, stream: AsyncIterable<Uint8Array>): Promise<string> {
  const start = performance.now();
  const end = start + seconds * 1000;
  let bytes = 0;
  let pieces = 0;
  for await (const piece of stream) {
    if (performance.now() >= end) break;
    bytes += piece.length;
    pieces++;
  }
  const elapsed = (performance.now() - start) / 1000;
  const measured = bytes / elapsed;
  const error = (measured / rate - 1) * 100;
  return [
    name.padEnd(8),
    `${(measured / 1e6).toFixed(3)} MB/s`,
    `error ${error >= 0 ? "+" : ""}${error.toFixed(2)}%`,
    `${pieces} pieces in ${elapsed.toFixed(2)} s`,
  ].join("  ");
}

const chunk = new Uint8Array(chunkSize);
console.log(`cap ${(rate / 1e6).toFixed(3)} MB/s, ${seconds} s, chunks of ${chunkSize} B`);
const lines = await Promise.all([
  measure("send", rateLimitedStream(endless(chunk), new TokenBucket(rate))),
  measure("receive", paceIncoming(endless(chunk), new TokenBucket(rate))),
]);
for (const line of lines) console.log(line);
