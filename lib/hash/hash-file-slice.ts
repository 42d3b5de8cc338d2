import { closeSync, openSync, readSync } from "node:fs";
import { DIGEST_BYTES } from "./blake2b.ts";
import { hashLeaf, LEAF_SIZE, parentLevel } from "./merkle.ts";

/** Bytes read per read call: large enough that syscalls cost nothing next to hashing. */
const READ_BYTES = 32 * LEAF_SIZE;

/**
 * The tree level whose nodes a slice hashes itself. Slices start at multiples of
 * 2^SLICE_LEVEL leaves, so every node of that level lies within one slice, and the thread
 * that joins the slices hashes only the levels above (1/16 of the inner nodes).
 */
export const SLICE_LEVEL = 4;

/** Leaves per node of SLICE_LEVEL: slice boundaries are multiples of this many leaves. */
export const SLICE_ALIGN = 2 ** SLICE_LEVEL;

/** What a slice of a file hashes to, as packed 32-byte hashes (so they move between threads). */
export interface FileSliceHash {
  /** The leaf hashes of the slice, in order. */
  leaves: Uint8Array<ArrayBuffer>;
  /** The nodes of level SLICE_LEVEL above those leaves, in order. */
  tops: Uint8Array<ArrayBuffer>;
}

/**
 * Hashes bytes `[start, end)` of a file with blocking reads (it runs in a worker). `start`
 * is a multiple of SLICE_ALIGN leaves and so is `end` unless it is the end of the file.
 * Throws if the file holds fewer bytes than that.
 */
export function hashFileSlice(path: string, start: number, end: number): FileSliceHash {
  const leaves: Uint8Array[] = [];
  const buffer = new Uint8Array(READ_BYTES);
  const fd = openSync(path, "r");
  try {
    for (let pos = start; pos < end; ) {
      const want = Math.min(READ_BYTES, end - pos);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, buffer, got, want - got, pos + got);
        if (n === 0) throw new Error(`${path} ended at byte ${pos + got}, before ${end}`);
        got += n;
      }
      for (let at = 0; at < got; at += LEAF_SIZE) {
        leaves.push(hashLeaf(buffer.subarray(at, Math.min(at + LEAF_SIZE, got))));
      }
      pos += got;
    }
  } finally {
    closeSync(fd);
  }
  let tops = leaves;
  for (let level = 0; level < SLICE_LEVEL; level++) tops = parentLevel(tops);
  return { leaves: pack(leaves), tops: pack(tops) };
}

/** Concatenates 32-byte hashes. */
export function pack(hashes: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hashes.length * DIGEST_BYTES);
  hashes.forEach((hash, i) => {
    out.set(hash, i * DIGEST_BYTES);
  });
  return out;
}

/** Splits concatenated 32-byte hashes (views, not copies). */
export function unpack(packed: Uint8Array): Uint8Array[] {
  return Array.from({ length: packed.length / DIGEST_BYTES }, (_, i) =>
    packed.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES),
  );
}
