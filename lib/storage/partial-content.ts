import type { FileHandle } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { hashLeaves } from "../hash/hash-leaves.ts";
import { LEAF_SIZE, leafCount } from "../hash/index.ts";
import { type LeafHash, LeafLedger } from "../hash/leaf-ledger.ts";
import { hashLeaf } from "../hash/merkle.ts";
import { ioError, type RealizeError } from "../model/errors.ts";
import { hashOpenFile } from "./hash-open-file.ts";
import { libcError } from "./libc.ts";
import { readFully } from "./real-root.ts";
import { copyFileRange } from "./sync-fs.ts";

/** Leaves read back per call when some are unknown at the end. */
const RUN_LEAVES = 16;
/** When every leaf is unknown and the file is at least this big, hashOpenFile's workers hash it. */
const WORKERS_FROM = 64 * 1024 * 1024;
/** Writes of at least this many whole leaves have them hashed on a worker thread. */
const OFFLOAD_LEAVES = 2;
/** Bytes per read and write when copy_file_range cannot be used. */
const COPY_CHUNK = 1024 * 1024;
/** copy_file_range errors after which the bytes are copied by reading and writing. */
const COPY_BY_HAND = new Set([
  -1,
  osConstants.errno.EXDEV,
  osConstants.errno.EINVAL,
  osConstants.errno.ENOSYS,
  osConstants.errno.EOPNOTSUPP,
  osConstants.errno.EBADF,
]);

/** A change in flight: later ones that overlap it wait for it. */
interface Flight {
  start: number;
  end: number;
  settled: Promise<unknown>;
}

/** How PartialContent reaches its file: the open handle, its name, the error for a failure. */
export interface ContentFile {
  handle(): FileHandle;
  readonly name: string;
  failed(op: string, cause: unknown): Promise<RealizeError>;
}

/**
 * The bytes of an open partial file, changed only through here, with what each leaf is
 * known to hold (a LeafLedger): leaves filled by `write` are hashed from the bytes
 * written (those of big writes on a worker thread, while the next ones arrive), copied and verified leaves are told with their hash, and `leafHashes` reads
 * back only the leaves it was not shown. Changes may be in flight together; one that
 * overlaps an earlier one still in flight waits for it, so they land in the order called
 * and the ledger follows that order.
 */
export class PartialContent {
  readonly #ledger = new LeafLedger({ hashLeaves, offloadFrom: OFFLOAD_LEAVES });
  readonly #flights = new Set<Flight>();

  constructor(private readonly file: ContentFile) {}

  /** Writes all of `bytes` at `offset` (unchanged by the caller until this settles). */
  write(offset: number, bytes: Uint8Array): Promise<void> {
    return this.#inOrder(offset, offset + bytes.length, async () => {
      this.#ledger.wrote(offset, bytes);
      await this.#writeAll(offset, bytes);
    });
  }

  /** Writes leaf `index` whose bytes the caller hashed to `hash`. */
  place(index: number, bytes: Uint8Array, hash: Uint8Array): Promise<void> {
    const start = index * LEAF_SIZE;
    return this.#inOrder(start, start + bytes.length, async () => {
      this.#ledger.set(index, hash, bytes.length);
      await this.#writeAll(start, bytes);
    });
  }

  /** Cuts or extends (with zeros) the file to `size` bytes. */
  truncate(size: number): Promise<void> {
    return this.#inOrder(0, Number.POSITIVE_INFINITY, async () => {
      this.#ledger.resized(size);
      try {
        await this.file.handle().truncate(size);
      } catch (e) {
        this.#ledger.clear();
        throw await this.file.failed("resize", e);
      }
    });
  }

  /**
   * Copies `[start, start + length)` of the open file `from` to the same offsets here,
   * inside the kernel when it can; returns the bytes copied (fewer when `from` ended). The
   * ledger forgets those leaves: the caller tells it (`know`) what it can vouch for.
   */
  copyFrom(from: FileHandle, fromName: string, start: number, length: number): Promise<number> {
    const end = start + length;
    let copied = 0;
    return this.#inOrder(start, end, async () => {
      this.#ledger.forget(start, end);
      const kernel = await copyFileRange(from.fd, start, this.file.handle().fd, start, length);
      if (kernel.errno === 0) {
        copied = kernel.bytes;
        return;
      }
      if (!COPY_BY_HAND.has(kernel.errno)) {
        throw await this.file.failed(
          "copy into",
          libcError("copy_file_range", this.file.name, kernel.errno),
        );
      }
      for (let at = start; at < end; ) {
        const bytes = await readFully(from, at, Math.min(COPY_CHUNK, end - at), fromName);
        if (bytes.length === 0) break;
        await this.#writeAll(at, bytes);
        at += bytes.length;
        copied += bytes.length;
      }
    }).then(() => copied);
  }

  /** Leaf `index` holds `length` bytes hashing to `hash` (the caller verified it). */
  know(index: number, hash: Uint8Array, length: number): void {
    this.#ledger.set(index, hash, length);
  }

  /** Forgets what is known of the leaves `[start, end)` touches. */
  forget(start: number, end: number): void {
    this.#ledger.forget(start, end);
  }

  /** Resolves once no change is in flight. */
  async settled(): Promise<void> {
    while (this.#flights.size > 0) await Promise.all([...this.#flights].map((f) => f.settled));
  }

  /**
   * Every leaf hash of the file as `size` bytes (call once nothing is in flight): the known
   * ones from the ledger, the others read back and hashed.
   */
  async leafHashes(size: number): Promise<Uint8Array[]> {
    const count = leafCount(size);
    const known: (LeafHash | undefined)[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < count; i++) {
      const leaf = this.#ledger.leaf(i, size);
      known.push(leaf);
      if (leaf === undefined) unknown.push(i);
    }
    const leaves = (await Promise.all(known)) as (Uint8Array | undefined)[];
    if (unknown.length === 0) return leaves as Uint8Array[];
    const handle = this.file.handle();
    if (unknown.length === count && size >= WORKERS_FROM) {
      return (await hashOpenFile(handle, size, this.file.name)).leaves.map((l) => l.bytes);
    }
    for (let k = 0; k < unknown.length; ) {
      let run = 1;
      while (k + run < unknown.length && unknown[k + run] === unknown[k]! + run && run < RUN_LEAVES)
        run++;
      const first = unknown[k]!;
      const start = first * LEAF_SIZE;
      const length = Math.min(size, (first + run) * LEAF_SIZE) - start;
      const bytes = await readFully(handle, start, length, this.file.name);
      if (bytes.length !== length) {
        throw ioError("read", this.file.name, new Error("the file shrank while it was read"));
      }
      for (let i = 0; i < run; i++) {
        leaves[first + i] = hashLeaf(bytes.subarray(i * LEAF_SIZE, (i + 1) * LEAF_SIZE));
      }
      k += run;
    }
    return leaves as Uint8Array[];
  }

  /** Runs `work` once no earlier change overlapping `[start, end)` is in flight. */
  #inOrder(start: number, end: number, work: () => Promise<void>): Promise<void> {
    const before: Promise<unknown>[] = [];
    for (const f of this.#flights) if (f.start < end && start < f.end) before.push(f.settled);
    const run = async () => {
      try {
        await work();
      } catch (e) {
        this.#ledger.forget(start, end);
        throw e;
      }
    };
    const done = before.length === 0 ? run() : Promise.allSettled(before).then(run);
    const flight: Flight = { start, end, settled: done.catch(() => undefined) };
    this.#flights.add(flight);
    return done.finally(() => this.#flights.delete(flight));
  }

  async #writeAll(offset: number, bytes: Uint8Array): Promise<void> {
    const handle = this.file.handle();
    let done = 0;
    try {
      while (done < bytes.length) {
        const { bytesWritten } = await handle.write(
          bytes,
          done,
          bytes.length - done,
          offset + done,
        );
        done += bytesWritten;
      }
    } catch (e) {
      throw await this.file.failed("write", e);
    }
  }
}
