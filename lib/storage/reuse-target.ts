import type { FileHandle } from "node:fs/promises";
import { LEAF_SIZE } from "../hash/index.ts";
import { hashLeaf } from "../hash/merkle.ts";
import type { ArenaPath } from "../model/arena-path.ts";
import { RealizeError } from "../model/errors.ts";
import type { Hash } from "../model/hash.ts";
import type { PartialContent } from "./partial-content.ts";
import { sameVersion, versionOf } from "./real-entry.ts";
import { type RealRoot, readFully } from "./real-root.ts";

/**
 * A base file (the target as it is now) whose leaf hashes are known from the index, valid
 * while its size, mtime, inode and ctime are those recorded with them.
 */
export interface KnownBase {
  leaves: readonly Hash[];
  size: number;
  mtimeNs: bigint;
  ino: bigint;
  ctimeNs: bigint;
}

/** The content a resume aims at: its size and leaf hashes. */
export interface ExpectedLeaves {
  size: number;
  leaves: readonly Hash[];
}

/**
 * Fills the leaves a partial lacks (`good[i]` false) from the target file at `target`
 * where the target holds the same leaf at the same offset (an appended log, a file edited
 * in place), marking them good. The target is opened without following links; a missing
 * target or a link there gives nothing. With `base`, and the target still of that recorded
 * version, its leaf hashes come from `base` and the matching runs are copied inside the
 * kernel; otherwise each leaf is read, hashed and written when it matches. Copies only
 * count if the target did not change while they were made.
 */
export async function reuseTarget(
  content: PartialContent,
  root: RealRoot,
  target: ArenaPath,
  expected: ExpectedLeaves,
  good: boolean[],
  base: KnownBase | undefined,
): Promise<void> {
  let opened: Awaited<ReturnType<RealRoot["openReadStat"]>>;
  try {
    opened = await root.openReadStat(target);
  } catch (e) {
    if (e instanceof RealizeError && (e.code === "not_found" || e.code === "bad_path")) return;
    throw e;
  }
  const { handle, stats } = opened;
  const name = root.absolute(target);
  try {
    if (base !== undefined && sameVersion(versionOf(stats), base)) {
      await copyKnownLeaves(content, handle, name, expected, good, base);
      return;
    }
    const available = Math.min(Number(stats.size), expected.size);
    for (let i = 0; i < expected.leaves.length; i++) {
      const start = i * LEAF_SIZE;
      const end = Math.min(start + LEAF_SIZE, expected.size);
      if (end > available) break;
      if (good[i] || end === start) continue;
      const bytes = await readFully(handle, start, end - start, name);
      if (bytes.length !== end - start) break;
      const hash = hashLeaf(bytes);
      if (Buffer.from(hash).equals(expected.leaves[i]!.bytes)) {
        await content.place(i, bytes, hash);
        good[i] = true;
      }
    }
  } finally {
    await handle.close();
  }
}

/** Copies the runs of leaves that `base` and `expected` share (same hash, same index). */
async function copyKnownLeaves(
  content: PartialContent,
  handle: FileHandle,
  name: string,
  expected: ExpectedLeaves,
  good: boolean[],
  base: KnownBase,
): Promise<void> {
  const shared = (i: number) =>
    !good[i] && i < base.leaves.length && base.leaves[i]!.equals(expected.leaves[i]!);
  const copied: number[] = [];
  for (let first = 0; first < expected.leaves.length; ) {
    if (!shared(first)) {
      first++;
      continue;
    }
    let end = first;
    while (end < expected.leaves.length && shared(end)) end++;
    const start = first * LEAF_SIZE;
    const length = Math.min(end * LEAF_SIZE, expected.size) - start;
    if (length > 0 && (await content.copyFrom(handle, name, start, length)) === length) {
      for (let i = first; i < end; i++) copied.push(i);
    }
    first = end;
  }
  const unchanged = sameVersion(versionOf(await handle.stat({ bigint: true })), base);
  for (const i of copied) {
    const start = i * LEAF_SIZE;
    const length = Math.min(LEAF_SIZE, expected.size - start);
    if (!unchanged) continue;
    content.know(i, expected.leaves[i]!.bytes, length);
    good[i] = true;
  }
}
