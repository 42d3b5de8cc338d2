import type { Duplex } from "node:stream";
import { Decoder } from "cbor-x";
import { errorMessage, RealizeError } from "../model/errors.ts";
import { CBOR_OPTIONS, DEFAULT_MAX_FRAME, FRAME_HEADER, frameParts } from "./frame-encoding.ts";

export { CBOR_OPTIONS, DEFAULT_MAX_FRAME, encodeFrame } from "./frame-encoding.ts";

/**
 * Frames on a byte stream (frame-encoding.ts says how a value becomes one). The reader
 * refuses a length above the maximum before allocating anything, and treats EOF in the
 * middle of a frame, bytes that are not exactly one CBOR value, or a zero length as a
 * broken connection: it destroys the stream and reports why, once. So does an exception
 * thrown while a frame is handled, so that nothing waits on a connection nobody reads.
 */

/** Byte counting hooks, called for every byte read from and written to the stream. */
export interface ByteMeter {
  read?(bytes: number): void;
  written?(bytes: number): void;
}

/** What a FrameChannel does with what it reads. */
export interface FrameHandlers {
  /**
   * One decoded CBOR value, in order. Not validated: that is the wire layer's job. If it
   * throws, the channel breaks with a "protocol" reason (reported through `closed`).
   */
  frame(value: unknown): void;
  /**
   * The stream is gone; called exactly once. `reason` says why when it broke (bad frame,
   * truncated frame, I/O error); undefined after a clean EOF at a frame boundary or close().
   */
  closed(reason: RealizeError | undefined): void;
}

/** Options of a FrameChannel. */
export interface FrameOptions {
  maxFrame?: number;
  meter?: ByteMeter;
}

/** Reads and writes frames on one stream; see the module comment for what it refuses. */
export class FrameChannel {
  readonly maxFrame: number;
  bytesRead = 0;
  bytesWritten = 0;
  private readonly decoder = new Decoder(CBOR_OPTIONS);
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private done = false;

  constructor(
    private readonly stream: Duplex,
    private readonly handlers: FrameHandlers,
    private readonly options: FrameOptions = {},
  ) {
    this.maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    stream.on("data", (chunk: Buffer) => {
      try {
        this.receive(chunk);
      } catch (error) {
        this.fail(
          new RealizeError("protocol", `reading frames failed: ${errorMessage(error)}`, {}, error),
        );
      }
    });
    stream.on("end", () => this.eof());
    stream.on("error", (error: Error) =>
      this.fail(new RealizeError("unreachable", `connection failed: ${error.message}`, {}, error)),
    );
    stream.on("close", () => this.eof());
  }

  /** False once the stream is closed or broken. */
  get open(): boolean {
    return !this.done;
  }

  /**
   * Sends one value; returns false when the stream's buffer is full (then await
   * `drained()` before sending much more). Large byte strings in `value` are written from
   * their own memory (frame-encoding.ts): they must not change after this call. Throws
   * RealizeError when the channel is closed or the value does not fit in a frame.
   */
  send(value: unknown): boolean {
    if (this.done) throw new RealizeError("unreachable", "the connection is closed");
    const parts = frameParts(value, this.maxFrame);
    let length = 0;
    let room = true;
    for (const part of parts) {
      length += part.length;
      room = this.stream.write(part);
    }
    this.bytesWritten += length;
    this.options.meter?.written?.(length);
    return room;
  }

  /** Resolves when the stream can take more, or at once when it is closed. */
  drained(): Promise<void> {
    if (this.done || !this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        this.stream.off("drain", finish);
        this.stream.off("close", finish);
        resolve();
      };
      this.stream.on("drain", finish);
      this.stream.on("close", finish);
    });
  }

  /**
   * Ends the stream after what was sent is flushed and reports `closed(undefined)`. What
   * the peer still sends is read and dropped until its EOF (at most `lingerMs`), so the
   * last frames reach it rather than being lost to a TCP reset.
   */
  close(lingerMs = 2000): void {
    if (this.done) return;
    this.finish(undefined);
    this.stream.end();
    const timer = setTimeout(() => this.stream.destroy(), lingerMs);
    timer.unref?.();
    this.stream.once("close", () => clearTimeout(timer));
  }

  /** Breaks the connection at once for `reason` (reported through `closed`). */
  fail(reason: RealizeError): void {
    if (this.done) return;
    this.finish(reason);
    this.stream.destroy();
  }

  private finish(reason: RealizeError | undefined): void {
    this.done = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.handlers.closed(reason);
  }

  private eof(): void {
    if (this.done) {
      this.stream.destroy();
      return;
    }
    if (this.pendingBytes > 0) {
      const expected = this.pendingBytes >= FRAME_HEADER ? this.peekLength() : undefined;
      const of = expected === undefined ? "a frame header" : `a ${expected}-byte frame`;
      this.fail(
        new RealizeError(
          "protocol",
          `truncated frame: the connection ended after ${this.pendingBytes} bytes of ${of}`,
          { received: this.pendingBytes, expected: expected === undefined ? null : expected },
        ),
      );
      return;
    }
    this.finish(undefined);
    this.stream.destroy();
  }

  private receive(chunk: Buffer): void {
    if (this.done) return;
    this.bytesRead += chunk.length;
    this.options.meter?.read?.(chunk.length);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (!this.done && this.pendingBytes >= FRAME_HEADER) {
      const length = this.peekLength();
      if (length > this.maxFrame || length === 0) {
        this.fail(
          new RealizeError(
            "protocol",
            length === 0
              ? "empty frame: a frame holds one CBOR value"
              : `frame of ${length} bytes exceeds the limit of ${this.maxFrame} bytes`,
            { size: length, maxFrame: this.maxFrame },
          ),
        );
        return;
      }
      if (this.pendingBytes < FRAME_HEADER + length) return;
      const body = this.take(FRAME_HEADER + length).subarray(FRAME_HEADER);
      let value: unknown;
      try {
        value = this.decoder.decode(body);
      } catch (error) {
        this.fail(
          new RealizeError(
            "protocol",
            `undecodable CBOR in a ${length}-byte frame: ${errorMessage(error)}`,
            { size: length },
            error,
          ),
        );
        return;
      }
      try {
        this.handlers.frame(value);
      } catch (error) {
        this.fail(
          new RealizeError(
            "protocol",
            `a ${length}-byte frame could not be handled: ${errorMessage(error)}`,
            { size: length },
            error,
          ),
        );
        return;
      }
    }
  }

  private peekLength(): number {
    const first = this.pending[0];
    if (first && first.length >= FRAME_HEADER) return first.readUInt32BE(0);
    return Buffer.concat(this.pending, FRAME_HEADER).readUInt32BE(0);
  }

  /**
   * The next `count` pending bytes: a view when they lie in one received piece, else one
   * copy of exactly those bytes (what follows stays where it is).
   */
  private take(count: number): Buffer {
    this.pendingBytes -= count;
    const first = this.pending[0] as Buffer;
    if (first.length >= count) {
      if (first.length === count) this.pending.shift();
      else this.pending[0] = first.subarray(count);
      return first.subarray(0, count);
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const piece = this.pending[0] as Buffer;
      const used = Math.min(piece.length, count - filled);
      out.set(used === piece.length ? piece : piece.subarray(0, used), filled);
      filled += used;
      if (used === piece.length) this.pending.shift();
      else this.pending[0] = piece.subarray(used);
    }
    return out;
  }
}
