import type { ByteRanges } from "../../model/byte-ranges.ts";
import { isRealizeError, RealizeError } from "../../model/errors.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import type { Reception, TreeDestination, TreeSource } from "./endpoints.ts";
import { isFatalError } from "./fatal-error.ts";
import type { JobState } from "./job-state.ts";

/** Writes of one large file in flight at once. */
const WRITE_WINDOW = 8;
/** Below this size a changed file is resent by leaves, never by rsync delta of the whole file. */
const DELTA_MIN = 1024 * 1024;
/** Most ranges a reception may need for them to go as one delta over just those ranges. */
const SPLICE_RANGES = 4096;

/**
 * Sends large files from a source into a destination, one reception each, advancing the
 * job's progress as bytes land. Any failure is thrown, after the reception was given up
 * (its partial kept when worth resuming); the caller decides what it means for the job.
 */
export class LargeFileSender {
  constructor(
    private readonly source: TreeSource,
    private readonly destination: TreeDestination,
    private readonly job: JobState,
    private readonly stop: AbortSignal | undefined,
  ) {}

  /**
   * Sends one large file. One listed without a hash, where the destination has no file, is
   * streamed whole and hashed on the way (its root comes at the end, nothing is read
   * twice), unless the destination holds an earlier partial of it: then, as for a file
   * with a base, the source hashes it first and the leaves say what still has to travel.
   * `listedThere`: the destination listed a file at its path.
   */
  async send(entry: TreeEntry, listedThere: boolean): Promise<{ sent: number; hash: Hash }> {
    if (!entry.hash && !listedThere) {
      const rec = await this.destination.begin(entry);
      if (!rec.resumable) return this.receiving(rec, (token) => this.sendStream(entry, token));
      await this.destination.abort(rec.token, true);
    }
    const hashed = entry.hash ? entry : { ...entry, hash: await this.hashOf(entry) };
    const hash = hashed.hash!;
    const leaves = await this.source.leaves(entry.path, hash);
    const rec = await this.destination.begin(hashed, leaves);
    const sent = await this.receiving(rec, async (token) => {
      // Beside a base, an rsync delta: of the whole file when all of it is needed (a big
      // one), else of just the ranges needed (what an earlier partial or the base's
      // matching leaves do not already hold), so nothing verified is sent again.
      const whole = rec.need.totalLength === entry.size;
      const byDelta = rec.hasBase && whole && entry.size >= DELTA_MIN;
      const bySplice =
        rec.hasBase && !whole && !rec.need.isEmpty && rec.need.ranges.length <= SPLICE_RANGES;
      const n = byDelta
        ? await this.sendDelta(entry, token)
        : bySplice
          ? await this.sendDelta(entry, token, rec.need)
          : await this.sendRanges(entry, rec);
      this.checkStop();
      await this.destination.commit(token);
      return { sent: n, hash };
    });
    return sent;
  }

  /** Runs the sending of a reception; on failure gives it up, keeping a partial worth resuming. */
  private async receiving<T>(rec: Reception, send: (token: number) => Promise<T>): Promise<T> {
    try {
      return await send(rec.token);
    } catch (e) {
      const resumable =
        this.stop?.aborted === true ||
        (isRealizeError(e) && e.code === "hash_mismatch") ||
        isFatalError(e);
      await this.destination.abort(rec.token, resumable).catch(() => {});
      throw e;
    }
  }

  /** The source's hash of a file listed without one; "hash_mismatch" when it changed since. */
  private async hashOf(entry: TreeEntry): Promise<Hash> {
    const [got] = await this.source.hashes([entry.path]);
    if (!got || got.path !== entry.path.text) {
      throw new RealizeError("protocol", `the source did not hash ${entry.path.text}`);
    }
    if ("error" in got) throw new RealizeError("io", got.error, { path: entry.path.text });
    if (got.size !== entry.size || got.mtimeNs !== entry.mtimeNs) {
      throw new RealizeError("hash_mismatch", `${entry.path.text} changed since it was listed`, {
        path: entry.path.text,
      });
    }
    return got.hash;
  }

  /** Streams a whole file into a fresh partial, and commits it under the root the source sealed. */
  private async sendStream(entry: TreeEntry, token: number): Promise<{ sent: number; hash: Hash }> {
    const path = entry.path.text;
    let offset = 0;
    let sealed: Hash | undefined;
    await this.writing(token, path, async (write) => {
      for await (const piece of this.source.stream(entry.path, entry, this.stop)) {
        this.checkStop();
        if (sealed !== undefined || ("data" in piece && offset + piece.data.length > entry.size)) {
          throw new RealizeError(
            "protocol",
            `the source sent more than the ${entry.size} bytes of ${path}`,
          );
        }
        if ("hash" in piece) {
          sealed = piece.hash;
          continue;
        }
        await write(offset, piece.data);
        offset += piece.data.length;
      }
    });
    this.checkStop();
    if (sealed === undefined || offset !== entry.size) {
      throw new RealizeError(
        "protocol",
        `the source ended ${path} after ${offset} of ${entry.size} bytes`,
      );
    }
    await this.destination.commit(token, sealed);
    return { sent: offset, hash: sealed };
  }

  /** Sends the ranges the destination needs, with a few writes in flight. */
  private async sendRanges(entry: TreeEntry, rec: Reception): Promise<number> {
    const path = entry.path.text;
    this.job.advance(path, entry.size - rec.need.totalLength, 0);
    let sent = 0;
    await this.writing(rec.token, path, async (write) => {
      for (const range of rec.need.ranges) {
        let offset = range.start;
        for await (const data of this.source.read(entry.path, range, this.stop)) {
          this.checkStop();
          if (offset + data.length > range.end) {
            throw new RealizeError("protocol", `the source sent more than ${range} of ${path}`);
          }
          await write(offset, data);
          offset += data.length;
          sent += data.length;
        }
      }
    });
    return sent;
  }

  /**
   * Runs `send` with a `write` that puts bytes into reception `token`, a few writes in
   * flight (WRITE_WINDOW); each chunk counts in the progress once the destination took it,
   * not when it was queued. Returns once every write landed; on a failure, once none is
   * left in flight.
   */
  private async writing(
    token: number,
    path: string,
    send: (write: (offset: number, data: Uint8Array) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const writes = new WriteWindow();
    const write = (offset: number, data: Uint8Array) =>
      writes.add(
        this.destination
          .write(token, offset, data)
          .then(() => this.job.advance(path, data.length, data.length)),
      );
    try {
      await send(write);
      await writes.drain();
    } catch (e) {
      await writes.settle();
      throw e;
    }
  }

  /**
   * Rebuilds the file at the destination from its base and the source's delta; with
   * `ranges` (what the destination still needs, the rest being in place), the delta covers
   * just those ranges, in small blocks, so a small edit costs about its own bytes.
   */
  private async sendDelta(entry: TreeEntry, token: number, ranges?: ByteRanges): Promise<number> {
    if (ranges !== undefined) this.job.advance(entry.path.text, entry.size - ranges.totalLength, 0);
    const signature = await this.destination.signature(token, ranges);
    const { blockSize, fileSize } = signature;
    let sent = 0;
    for await (const ops of this.source.delta(entry.path, signature, this.stop, ranges)) {
      this.checkStop();
      await this.destination.patch(token, ops);
      for (const op of ops) {
        const literal = op.op === "literal" ? op.data.length : 0;
        const rebuilt =
          op.op === "literal"
            ? literal
            : Math.min(fileSize, (op.block + (op.count ?? 1)) * blockSize) - op.block * blockSize;
        sent += literal;
        this.job.advance(entry.path.text, rebuilt, literal);
      }
    }
    return sent;
  }

  private checkStop(): void {
    if (this.stop?.aborted === true) throw new RealizeError("cancelled", "stopped");
  }
}

/** Writes of one file in flight at once: at most WRITE_WINDOW, waited for in order. */
class WriteWindow {
  private readonly pending: Promise<void>[] = [];

  /** Adds a write; waits for the oldest when the window is full (its error is thrown). */
  async add(write: Promise<void>): Promise<void> {
    write.catch(() => {});
    this.pending.push(write);
    if (this.pending.length >= WRITE_WINDOW) await this.pending.shift();
  }

  /** Waits for every write; throws the first error. */
  async drain(): Promise<void> {
    await Promise.all(this.pending.splice(0));
  }

  /** Waits for every write to end, whatever its outcome. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.pending.splice(0));
  }
}
