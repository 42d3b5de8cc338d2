import { closeSync, openSync, readSync } from "node:fs";
import { DIGEST_BYTES } from "./blake2b.ts";
import { hashLeaf, LEAF_SIZE } from "./merkle.ts";

/** Bytes read per read call: large enough that syscalls cost nothing next to hashing. */
const READ_BYTES = 64 * LEAF_SIZE;

/**
 * The leaf hashes of bytes `[start, end)` of a file, read with blocking reads (it runs in a
 * worker), packed 32 bytes per leaf. `start` is leaf-aligned and so is `end` unless it is
 * the end of the file. Throws if the file holds fewer bytes than that.
 */
export function hashLeafRange(path: string, start: number, end: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(Math.ceil((end - start) / LEAF_SIZE) * DIGEST_BYTES);
  const buffer = new Uint8Array(READ_BYTES);
  const fd = openSync(path, "r");
  try {
    let pos = start;
    let leaf = 0;
    while (pos < end) {
      const want = Math.min(READ_BYTES, end - pos);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, buffer, got, want - got, pos + got);
        if (n === 0) throw new Error(`${path} ended at byte ${pos + got}, before ${end}`);
        got += n;
      }
      for (let at = 0; at < got; at += LEAF_SIZE) {
        out.set(hashLeaf(buffer.subarray(at, Math.min(at + LEAF_SIZE, got))), leaf * DIGEST_BYTES);
        leaf += 1;
      }
      pos += got;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}
