/**
 * Worker thread of syncFilesystem and copyFileRange: runs syncfs(2) and copy_file_range(2)
 * off the main thread, so a call that waits on the disk or copies many bytes never stalls
 * the event loop. Replies `{ id, errno, bytes }`: errno 0 on success, -1 when libc is
 * unavailable; bytes copied for a copy (fewer than asked only at the end of the input).
 */
import { libc } from "./libc.ts";

/** A request: flush the filesystem holding `fd`, or copy `length` bytes between two open files. */
export type SyncFsRequest =
  | { id: number; fd: number }
  | {
      id: number;
      copy: { fdIn: number; offsetIn: number; fdOut: number; offsetOut: number; length: number };
    };

/** The answer: 0, an errno, or -1 when the call cannot be made here; and the bytes copied. */
export interface SyncFsReply {
  id: number;
  errno: number;
  bytes: number;
}

declare const self: Worker;

/** Most bytes per copy_file_range call (the kernel may copy fewer). */
const COPY_STEP = 64 * 1024 * 1024;

self.onmessage = async (event: MessageEvent<SyncFsRequest>) => {
  const request = event.data;
  const c = await libc();
  if (c === null) {
    self.postMessage({ id: request.id, errno: -1, bytes: 0 } satisfies SyncFsReply);
    return;
  }
  if ("fd" in request) {
    const errno = c.syncfs(request.fd) === 0 ? 0 : c.errno() || 5;
    self.postMessage({ id: request.id, errno, bytes: 0 } satisfies SyncFsReply);
    return;
  }
  const { fdIn, offsetIn, fdOut, offsetOut, length } = request.copy;
  let bytes = 0;
  let errno = 0;
  while (bytes < length) {
    const step = Math.min(COPY_STEP, length - bytes);
    const n = c.copyFileRange(fdIn, offsetIn + bytes, fdOut, offsetOut + bytes, step);
    if (n < 0) {
      errno = c.errno() || 5;
      break;
    }
    if (n === 0) break;
    bytes += n;
  }
  self.postMessage({ id: request.id, errno, bytes } satisfies SyncFsReply);
};
