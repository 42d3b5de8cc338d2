/**
 * Worker thread of syncFilesystem: runs syncfs(2) off the main thread, so a flush that
 * waits on the disk never stalls the event loop. Receives `{ id, fd }`, replies
 * `{ id, errno }` (0 on success, -1 when libc is unavailable).
 */
import { libc } from "./libc.ts";

/** A request to flush the filesystem holding the open file `fd` (shared with the main thread). */
export interface SyncFsRequest {
  id: number;
  fd: number;
}

/** The answer: 0, an errno, or -1 when syncfs cannot be called here. */
export interface SyncFsReply {
  id: number;
  errno: number;
}

declare const self: Worker;

self.onmessage = async (event: MessageEvent<SyncFsRequest>) => {
  const { id, fd } = event.data;
  const c = await libc();
  const errno = c === null ? -1 : c.syncfs(fd) === 0 ? 0 : c.errno() || 5;
  self.postMessage({ id, errno } satisfies SyncFsReply);
};
