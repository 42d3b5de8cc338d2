import { hashLeafRange } from "./hash-leaf-range.ts";

/** A request to a hashing worker: the leaf hashes of bytes `[start, end)` of `path`. */
export interface LeafRangeRequest {
  path: string;
  start: number;
  end: number;
}

/** A hashing worker's answer: packed leaf hashes, or why it could not read them. */
export type LeafRangeReply =
  | { ok: true; leaves: ArrayBuffer }
  | { ok: false; message: string; errno: string | undefined };

declare const self: Worker;

self.onmessage = (event: MessageEvent<LeafRangeRequest>) => {
  const { path, start, end } = event.data;
  let reply: LeafRangeReply;
  try {
    reply = { ok: true, leaves: hashLeafRange(path, start, end).buffer };
  } catch (e) {
    const errno = (e as { code?: unknown }).code;
    reply = {
      ok: false,
      message: e instanceof Error ? e.message : String(e),
      errno: typeof errno === "string" ? errno : undefined,
    };
  }
  self.postMessage(reply, reply.ok ? [reply.leaves] : []);
};
