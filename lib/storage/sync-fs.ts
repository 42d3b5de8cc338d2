import type { SyncFsReply, SyncFsRequest } from "./sync-fs-worker.ts";

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, (reply: SyncFsReply) => void>();

function start(): Worker {
  if (worker !== undefined) return worker;
  const w = new Worker(new URL("./sync-fs-worker.ts", import.meta.url).href);
  w.onmessage = (event: MessageEvent<SyncFsReply>) => {
    const done = waiting.get(event.data.id);
    waiting.delete(event.data.id);
    if (waiting.size === 0) w.unref();
    done?.(event.data);
  };
  worker = w;
  return w;
}

/**
 * Flushes the whole filesystem holding the open file `fd` to stable storage with one
 * syncfs(2), on a worker thread so the event loop keeps running. Resolves to 0 when done,
 * to the errno when the kernel reports a failure (e.g. EIO, ENOSPC), and to -1 when
 * syncfs cannot be called on this system (the caller then flushes file by file).
 */
export function syncFilesystem(fd: number): Promise<number> {
  const w = start();
  const id = nextId++;
  w.ref();
  return new Promise((resolve) => {
    waiting.set(id, (reply) => resolve(reply.errno));
    w.postMessage({ id, fd } satisfies SyncFsRequest);
  });
}
