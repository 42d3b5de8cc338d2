import type { FileHash } from "../hash/index.ts";
import { Hash } from "../model/hash.ts";
import type { ContentsReply, ContentsRequest } from "./hash-contents-worker.ts";

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<
  number,
  { resolve: (reply: ContentsReply) => void; reject: (e: Error) => void }
>();

function start(): Worker {
  if (worker !== undefined) return worker;
  const w = new Worker(new URL("./hash-contents-worker.ts", import.meta.url).href);
  w.onmessage = (event: MessageEvent<ContentsReply>) => {
    const done = waiting.get(event.data.id);
    waiting.delete(event.data.id);
    if (waiting.size === 0) w.unref();
    done?.resolve(event.data);
  };
  w.onerror = (event) => {
    const error = new Error(`the hashing worker failed: ${event.message}`);
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
    worker = undefined;
    w.terminate();
  };
  worker = w;
  return w;
}

/**
 * The FileHash of each of `contents` (the same as MerkleHasher gives), computed on a worker
 * thread, all in one message, so that the calling thread goes on with other work (another
 * batch's writes, the network) meanwhile. The bytes are copied at the call: `contents` may
 * change as soon as this returns.
 */
export function hashContents(contents: readonly Uint8Array[]): Promise<FileHash[]> {
  if (contents.length === 0) return Promise.resolve([]);
  const lengths = contents.map((c) => c.length);
  const data = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const c of contents) {
    data.set(c, at);
    at += c.length;
  }
  const w = start();
  const id = nextId++;
  w.ref();
  return new Promise((resolve, reject) => {
    const unpack = ({ hashes, leafCounts }: ContentsReply) => {
      let word = 0;
      const next = () => Hash.fromBytes(hashes.subarray(word * 32, ++word * 32));
      resolve(
        leafCounts.map((count, i) => {
          const hash = next();
          return { hash, size: lengths[i]!, leaves: Array.from({ length: count }, next) };
        }),
      );
    };
    waiting.set(id, { resolve: unpack, reject });
    w.postMessage({ id, data, lengths } satisfies ContentsRequest, [data.buffer]);
  });
}
