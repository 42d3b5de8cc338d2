import { Duplex } from "node:stream";
import type { Link } from "./link.ts";

/** One end of a memory pipe: what it is called and what the other end sees as its address. */
export interface MemoryEnd {
  name: string;
  address?: string;
}

/** A Duplex whose writes are pushed into its twin; a write waits while the twin's reader is behind. */
class PipeEnd extends Duplex {
  twin: PipeEnd | undefined;
  blockedWrite: ((error?: Error) => void) | undefined;
  private eofPushed = false;

  eof(): void {
    if (this.eofPushed || this.destroyed) return;
    this.eofPushed = true;
    this.push(null);
  }

  override _read(): void {
    const resume = this.blockedWrite;
    this.blockedWrite = undefined;
    resume?.();
  }

  /** Delivered on a later turn of the event loop, as a socket would, so timers keep running. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error) => void): void {
    const copy = Buffer.from(chunk);
    setImmediate(() => {
      const twin = this.twin;
      if (!twin || twin.destroyed || twin.eofPushed) done(new Error("memory link closed"));
      else if (twin.push(copy)) done();
      else twin.blockedWrite = done;
    });
  }

  override _final(done: (error?: Error) => void): void {
    this.twin?.eof();
    done();
  }

  /** Like a socket closing: the twin reads what was sent, then EOF; its later writes fail. */
  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const twin = this.twin;
    this.twin = undefined;
    this.blockedWrite?.(new Error("memory link closed"));
    this.blockedWrite = undefined;
    if (twin) {
      twin.twin = undefined;
      twin.eof();
    }
    done(error);
  }
}

/**
 * Two connected in-memory links, as if `a` had dialled `b` and both keys had checked out:
 * the first is `a`'s link to `b`, the second `b`'s link to `a`. Writes on one end are read
 * on the other in order; a writer waits while the reader is behind (real backpressure).
 * Ending one end ends the other's reading; destroying one end also makes the other's
 * writes fail, as a closed socket would.
 */
export function memoryLinkPair(a: MemoryEnd, b: MemoryEnd): [Link, Link] {
  const atA = new PipeEnd({ highWaterMark: 64 * 1024 });
  const atB = new PipeEnd({ highWaterMark: 64 * 1024 });
  atA.twin = atB;
  atB.twin = atA;
  return [
    { peer: b.name, address: b.address ?? "memory", stream: atA },
    { peer: a.name, address: a.address ?? "memory", stream: atB },
  ];
}
