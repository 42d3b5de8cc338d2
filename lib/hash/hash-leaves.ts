import type { LeavesReply, LeavesRequest } from "./hash-leaves-worker.ts";

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, (hashes: Uint8Array) => void>();

function start(): Worker {
  if (worker !== undefined) return worker;
  const w = new Worker(new URL("./hash-leaves-worker.ts", import.meta.url).href);
  w.onmessage = (event: MessageEvent<LeavesReply>) => {
    const done = waiting.get(event.data.id);
    waiting.delete(event.data.id);
    if (waiting.size === 0) w.unref();
    done?.(event.data.hashes);
  };
  worker = w;
  return w;
}

/**
 * The hashes of the consecutive leaves of `data` (the last one may be short), computed on
 * a worker thread so that the calling thread goes on receiving while they are hashed. The
 * bytes are copied (once, only the view's own bytes) and handed to the worker at the call:
 * `data` may be reused as soon as this returns.
 * Each leaf hash is 32 bytes, as hashLeaf gives.
 */
export function hashLeaves(data: Uint8Array): Promise<Uint8Array[]> {
  const w = start();
  const id = nextId++;
  w.ref();
  return new Promise((resolve) => {
    waiting.set(id, (hashes) => {
      const leaves: Uint8Array[] = [];
      for (let at = 0; at < hashes.length; at += 32) leaves.push(hashes.subarray(at, at + 32));
      resolve(leaves);
    });
    const copy = new Uint8Array(data.length);
    copy.set(data);
    w.postMessage({ id, data: copy } satisfies LeavesRequest, [copy.buffer]);
  });
}
