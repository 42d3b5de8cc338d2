import type { FileHash } from "../hash/index.ts";
import { Hash } from "../model/hash.ts";
import { WorkerCalls } from "../model/worker-calls.ts";
import type { ContentsReply, ContentsRequest } from "./hash-contents-worker.ts";

const contentsWorker = new WorkerCalls<ContentsRequest, ContentsReply>(
  new URL("./hash-contents-worker.ts", import.meta.url).href,
  "the hashing worker",
);

/**
 * The FileHash of each of `contents` (the same as MerkleHasher gives), computed on a worker
 * thread, all in one message, so that the calling thread goes on with other work (another
 * batch's writes, the network) meanwhile. The bytes are copied at the call: `contents` may
 * change as soon as this returns.
 */
export async function hashContents(contents: readonly Uint8Array[]): Promise<FileHash[]> {
  if (contents.length === 0) return [];
  const lengths = contents.map((c) => c.length);
  const data = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const c of contents) {
    data.set(c, at);
    at += c.length;
  }
  const { hashes, leafCounts } = await contentsWorker.call({ data, lengths }, [data.buffer]);
  let word = 0;
  const next = () => Hash.fromBytes(hashes.subarray(word * 32, ++word * 32));
  return leafCounts.map((count, i) => {
    const hash = next();
    return { hash, size: lengths[i]!, leaves: Array.from({ length: count }, next) };
  });
}
