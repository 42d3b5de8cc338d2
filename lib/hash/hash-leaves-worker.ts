/**
 * Worker thread of hashLeaves: hashes whole leaves of the bytes it is sent and answers with
 * their hashes packed end to end (32 bytes each).
 */
import { hashLeaf, LEAF_SIZE } from "./merkle.ts";

/** Bytes to hash as consecutive leaves (the last may be short). */
export interface LeavesRequest {
  id: number;
  data: Uint8Array;
}

/** The leaf hashes, 32 bytes each, in order. */
export interface LeavesReply {
  id: number;
  hashes: Uint8Array;
}

declare const self: Worker;

self.onmessage = (event: MessageEvent<LeavesRequest>) => {
  const { id, data } = event.data;
  const count = Math.ceil(data.length / LEAF_SIZE);
  const hashes = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++) {
    hashes.set(hashLeaf(data.subarray(i * LEAF_SIZE, (i + 1) * LEAF_SIZE)), i * 32);
  }
  self.postMessage({ id, hashes } satisfies LeavesReply, [hashes.buffer]);
};
