import { errorMessage } from "../model/errors.ts";
import { type FileSliceHash, hashFileSlice } from "./hash-file-slice.ts";

/** A request to a hashing worker: hash bytes `[start, end)` of `path` (see hashFileSlice). */
export interface FileSliceRequest {
  path: string;
  start: number;
  end: number;
}

/** A hashing worker's answer: the slice's hashes, or why it could not read them. */
export type FileSliceReply =
  | ({ ok: true } & FileSliceHash)
  | { ok: false; message: string; errno: string | undefined };

declare const self: Worker;

self.onmessage = (event: MessageEvent<FileSliceRequest>) => {
  const { path, start, end } = event.data;
  let reply: FileSliceReply;
  try {
    reply = { ok: true, ...hashFileSlice(path, start, end) };
  } catch (e) {
    const errno = (e as { code?: unknown }).code;
    reply = {
      ok: false,
      message: errorMessage(e),
      errno: typeof errno === "string" ? errno : undefined,
    };
  }
  self.postMessage(reply, reply.ok ? [reply.leaves.buffer, reply.tops.buffer] : []);
};
