import type { BigIntStats } from "node:fs";
import type { ArenaPath } from "../model/arena-path.ts";

/** What an entry of an arena root is; anything else (FIFO, socket, device) is not synced. */
export type RealEntryKind = "file" | "dir" | "symlink";

/**
 * One file, directory or symlink in an arena root as lstat saw it, never following links.
 * Size, mtimeNs, ino and ctimeNs together tell whether a file changed since it was last
 * seen (CLI.md: "size, mtime to the nanosecond, inode and ctime").
 */
export interface RealEntry {
  path: ArenaPath;
  kind: RealEntryKind;
  /** Bytes of a file; the length of the target of a symlink; as the filesystem says for a directory. */
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  /** Permission bits (`st_mode & 0o7777`). */
  mode: number;
  /** The link text of a symlink, as stored; never followed. */
  target?: string;
}

/** The kind of entry `stats` describes, or undefined for anything that is not synced. */
export function kindOf(stats: BigIntStats): RealEntryKind | undefined {
  if (stats.isFile()) return "file";
  if (stats.isDirectory()) return "dir";
  if (stats.isSymbolicLink()) return "symlink";
  return undefined;
}

/** The entry for `path` from its lstat; undefined when it is not a file, directory or symlink. */
export function realEntry(
  path: ArenaPath,
  stats: BigIntStats,
  target?: string,
): RealEntry | undefined {
  const kind = kindOf(stats);
  if (kind === undefined) return undefined;
  const entry: RealEntry = {
    path,
    kind,
    size: Number(stats.size),
    mtimeNs: stats.mtimeNs,
    ctimeNs: stats.ctimeNs,
    ino: stats.ino,
    mode: Number(stats.mode) & 0o7777,
  };
  if (target !== undefined) entry.target = target;
  return entry;
}

/** The metadata sameVersion compares, from an lstat or fstat. */
export function versionOf(
  stats: BigIntStats,
): Pick<RealEntry, "size" | "mtimeNs" | "ino" | "ctimeNs"> {
  return {
    size: Number(stats.size),
    mtimeNs: stats.mtimeNs,
    ino: stats.ino,
    ctimeNs: stats.ctimeNs,
  };
}

/** True when `a` and `b` describe the same content as far as metadata can tell. */
export function sameVersion(
  a: Pick<RealEntry, "size" | "mtimeNs" | "ino" | "ctimeNs">,
  b: Pick<RealEntry, "size" | "mtimeNs" | "ino" | "ctimeNs">,
): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino && a.ctimeNs === b.ctimeNs;
}
