import { WorkerCalls } from "../model/worker-calls.ts";
import type { LeavesReply, LeavesRequest } from "./hash-leaves-worker.ts";

const leavesWorker = new WorkerCalls<LeavesRequest, LeavesReply>(
  new URL("./hash-leaves-worker.ts", import.meta.url).href,
  "the leaf hashing worker",
);

/**
 * The hashes of the consecutive leaves of `data` (the last one may be short), computed on
 * a worker thread so that the calling thread goes on receiving while they are hashed. The
 * bytes are copied (once, only the view's own bytes) and handed to the worker at the call:
 * `data` may be reused as soon as this returns.
 * Each leaf hash is 32 bytes, as hashLeaf gives.
 */
export async function hashLeaves(data: Uint8Array): Promise<Uint8Array[]> {
  const copy = new Uint8Array(data.length);
  copy.set(data);
  const { hashes } = await leavesWorker.call({ data: copy }, [copy.buffer]);
  const leaves: Uint8Array[] = [];
  for (let at = 0; at < hashes.length; at += 32) leaves.push(hashes.subarray(at, at + 32));
  return leaves;
}
