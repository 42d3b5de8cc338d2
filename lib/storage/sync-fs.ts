import { WorkerCalls } from "../model/worker-calls.ts";
import type { SyncFsReply, SyncFsRequest } from "./sync-fs-worker.ts";

const syncWorker = new WorkerCalls<SyncFsRequest, SyncFsReply>(
  new URL("./sync-fs-worker.ts", import.meta.url).href,
  "the flushing worker",
);

/** Per filesystem: the syncfs running now, and the one that will follow it. */
interface Flushes {
  running?: Promise<number>;
  next?: { fd: number; promise: Promise<number>; resolve: (errno: number) => void };
}
const byDevice = new Map<bigint, Flushes>();

/**
 * Flushes the whole filesystem holding the open file `fd` to stable storage with one
 * syncfs(2), on a worker thread so the event loop keeps running. Resolves to 0 when done,
 * to the errno when the kernel reports a failure (e.g. EIO, ENOSPC), and to -1 when
 * syncfs cannot be called on this system (the caller then flushes file by file). With the
 * filesystem's `device`, calls made while a flush of it runs share the one that follows
 * it (which starts after all of them were made), so batches committed side by side do not
 * each pay a flush.
 */
export function syncFilesystem(fd: number, device?: bigint): Promise<number> {
  if (device === undefined) return syncNow(fd);
  let flushes = byDevice.get(device);
  if (flushes === undefined) {
    flushes = {};
    byDevice.set(device, flushes);
  }
  if (flushes.running === undefined) return startFlush(device, flushes, fd);
  if (flushes.next === undefined) {
    let resolve: (errno: number) => void = () => {};
    const promise = new Promise<number>((r) => {
      resolve = r;
    });
    flushes.next = { fd, promise, resolve };
  }
  return flushes.next.promise;
}

function startFlush(device: bigint, flushes: Flushes, fd: number): Promise<number> {
  const running = syncNow(fd).finally(() => {
    flushes.running = undefined;
    const next = flushes.next;
    flushes.next = undefined;
    if (next !== undefined) startFlush(device, flushes, next.fd).then(next.resolve);
    else byDevice.delete(device);
  });
  flushes.running = running;
  return running;
}

let made = 0;

/** How many syncfs calls this process has made (for tests and measurements). */
export function flushesMade(): number {
  return made;
}

async function syncNow(fd: number): Promise<number> {
  made++;
  return (await syncWorker.call({ fd })).errno;
}

/**
 * Copies `length` bytes from offset `offsetIn` of the open file `fdIn` to offset
 * `offsetOut` of the open file `fdOut` inside the kernel (copy_file_range(2), no bytes
 * through this process), on the same worker thread. Resolves to the bytes copied (fewer
 * only when the input ended first) and errno 0, or to the errno of a failure, or errno -1
 * when the call cannot be made on this system (the caller copies by reading and writing).
 */
export async function copyFileRange(
  fdIn: number,
  offsetIn: number,
  fdOut: number,
  offsetOut: number,
  length: number,
): Promise<{ bytes: number; errno: number }> {
  const { bytes, errno } = await syncWorker.call({
    copy: { fdIn, offsetIn, fdOut, offsetOut, length },
  });
  return { bytes, errno };
}
