import type { ArenaPath } from "./arena-path.ts";
import type { Hash } from "./hash.ts";

/** What a path of an arena holds on one peer. */
export type TreeEntryKind = "file" | "dir" | "symlink";

/**
 * One path of an arena as one peer has it, in the form both sides of a sync compare:
 * what push/pull lists on each side and plans from. `hash` is set for files; `target` for
 * symlinks (the link text, never followed).
 */
export interface TreeEntry {
  path: ArenaPath;
  kind: TreeEntryKind;
  size: number;
  /** Modification time, nanoseconds since the epoch. */
  mtimeNs: bigint;
  /** Permission bits (st_mode & 0o7777). */
  mode: number;
  hash?: Hash;
  target?: string;
}
