import { Duplex } from "node:stream";
import { RealizeError } from "../model/errors.ts";
import type { Link } from "./link.ts";
import { TokenBucket } from "./token-bucket.ts";

/** The buckets that pace one peer's bytes: what goes to it and what comes from it. */
export interface LinkRates {
  send: TokenBucket;
  receive: TokenBucket;
}

/**
 * Wraps a stream so that its bytes pass no faster than the buckets allow. Writes are cut
 * into the send bucket's pieces and each piece is paid for before it reaches the inner
 * stream, so what waits stays in this stream's buffer and `write()` returns false:
 * backpressure reaches the producer. Each chunk read is handed on at once and paid for
 * before the next read, so the peer's sending is held back by TCP flow control. Ending,
 * errors and closing pass through in both directions.
 */
class PacedStream extends Duplex {
  private readonly stop = new AbortController();
  private wanted = true;
  private paying = false;

  constructor(
    private readonly inner: Duplex,
    private readonly rates: LinkRates,
  ) {
    super({ allowHalfOpen: true, writableHighWaterMark: 64 * 1024 });
    inner.on("data", (chunk: Buffer) => this.arrived(chunk));
    inner.on("end", () => this.push(null));
    inner.on("error", (error: Error) => this.destroy(error));
    inner.on("close", () => this.destroy());
  }

  private arrived(chunk: Buffer): void {
    if (!this.push(chunk)) {
      this.wanted = false;
      this.inner.pause();
    }
    const { receive } = this.rates;
    if (receive.tryTake(chunk.length)) return;
    this.paying = true;
    this.inner.pause();
    receive.take(chunk.length, this.stop.signal).then(
      () => {
        this.paying = false;
        if (this.wanted) this.inner.resume();
      },
      () => {},
    );
  }

  override _read(): void {
    this.wanted = true;
    if (!this.paying) this.inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error) => void): void {
    this.forward(chunk).then(() => done(), done);
  }

  private async forward(chunk: Buffer): Promise<void> {
    const { send } = this.rates;
    const piece = send.pieceSize;
    for (let at = 0; at < chunk.length; at += piece) {
      const part = piece >= chunk.length ? chunk : chunk.subarray(at, at + piece);
      if (!send.tryTake(part.length)) await send.take(part.length, this.stop.signal);
      if (this.inner.destroyed) throw new RealizeError("unreachable", "the link is closed");
      if (!this.inner.write(part)) await this.innerDrained();
    }
  }

  private innerDrained(): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        this.inner.off("drain", finish);
        this.inner.off("close", finish);
        resolve();
      };
      this.inner.on("drain", finish);
      this.inner.on("close", finish);
    });
  }

  override _final(done: (error?: Error) => void): void {
    this.inner.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.stop.abort();
    this.inner.destroy(error ?? undefined);
    done(error);
  }
}

/**
 * The same link, paced by `rates` (shared by every link to that peer, so two connections
 * to one peer share its cap), or by a fresh pair of buckets at `bytesPerSecond` in each
 * direction (e.g. the `--max-rate` of one push). An unlimited bucket costs one stream hop
 * and no timer; a bucket's rate may change while the link is open.
 */
export function limitLink(link: Link, rates: LinkRates | number): Link {
  const buckets =
    typeof rates === "number"
      ? { send: new TokenBucket(rates), receive: new TokenBucket(rates) }
      : rates;
  return { peer: link.peer, address: link.address, stream: new PacedStream(link.stream, buckets) };
}
