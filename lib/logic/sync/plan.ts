import { ArenaPath } from "../../model/arena-path.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";

/** What a one-shot transfer does with one path of the source. */
export type PlanItem =
  /** A directory the destination lacks. */
  | { action: "mkdir"; entry: TreeEntry }
  /** File content to transfer; `base` is the destination's current different file, if any. */
  | { action: "send"; entry: TreeEntry; base?: TreeEntry }
  /** Same content on both sides; only mtime or permission bits differ. */
  | { action: "meta"; entry: TreeEntry }
  /** A symlink to create or replace (the link text is copied, never followed). */
  | { action: "link"; entry: TreeEntry }
  /** Nothing to do. */
  | { action: "unchanged"; entry: TreeEntry }
  /** Not synced, for the reason given (reported by name, exit 3). */
  | { action: "refuse"; entry: TreeEntry; reason: string };

/** Permission bits a transfer keeps: rwx for user, group and others (never setuid/sticky). */
export const KEPT_MODE_BITS = 0o777;

/** True when two files hold the same content as far as their listings tell. */
function sameContent(a: TreeEntry, b: TreeEntry): boolean {
  return a.size === b.size && a.hash !== undefined && b.hash !== undefined && a.hash.equals(b.hash);
}

function sameMeta(a: TreeEntry, b: TreeEntry): boolean {
  return a.mtimeNs === b.mtimeNs && (a.mode & KEPT_MODE_BITS) === (b.mode & KEPT_MODE_BITS);
}

function inTheWay(dest: TreeEntry): string {
  if (dest.kind === "dir") return "a directory is in the way on the destination";
  if (dest.kind === "symlink") {
    return "the destination has a symlink in place of this directory; refusing to write through it";
  }
  return "a file is in the way on the destination";
}

/** Decides the action for one source path against what the destination holds there. */
function decide(src: TreeEntry, dest: TreeEntry | undefined): PlanItem {
  if (src.kind === "dir") {
    if (!dest) return { action: "mkdir", entry: src };
    return dest.kind === "dir"
      ? { action: "unchanged", entry: src }
      : { action: "refuse", entry: src, reason: inTheWay(dest) };
  }
  if (dest?.kind === "dir") return { action: "refuse", entry: src, reason: inTheWay(dest) };
  if (src.kind === "symlink") {
    return dest?.kind === "symlink" && dest.target === src.target
      ? { action: "unchanged", entry: src }
      : { action: "link", entry: src };
  }
  if (dest?.kind === "file" && sameContent(src, dest)) {
    return sameMeta(src, dest)
      ? { action: "unchanged", entry: src }
      : { action: "meta", entry: src };
  }
  return dest?.kind === "file"
    ? { action: "send", entry: src, base: dest }
    : { action: "send", entry: src };
}

/**
 * Plans a one-shot transfer (push or pull): for every source entry, what the destination
 * must do so that it holds the same tree. Pure: the same listings always give the same
 * plan, in source order (ArenaPath.compare, so a directory comes before its children).
 * Paths only on the destination are left alone. Whatever stands below a refused directory
 * is refused too, naming that directory: nothing is ever written through a symlink or in
 * place of a file the plan did not see.
 */
export function planTransfer(
  source: readonly TreeEntry[],
  destination: ReadonlyMap<string, TreeEntry>,
): PlanItem[] {
  const inOrder = source.every(
    (e, i) => i === 0 || ArenaPath.compare(source[i - 1]!.path, e.path) < 0,
  );
  const sorted = inOrder ? source : [...source].sort((a, b) => ArenaPath.compare(a.path, b.path));
  const refusedDirs: { dir: ArenaPath; reason: string }[] = [];
  const plan: PlanItem[] = [];
  for (const entry of sorted) {
    const blocked =
      refusedDirs.length === 0 ? undefined : refusedDirs.find((r) => entry.path.isWithin(r.dir));
    if (blocked) {
      plan.push({ action: "refuse", entry, reason: `${blocked.reason} (at ${blocked.dir.text})` });
      continue;
    }
    const item = decide(entry, destination.get(entry.path.text));
    if (item.action === "refuse" && entry.kind === "dir") {
      refusedDirs.push({ dir: entry.path, reason: item.reason });
    }
    plan.push(item);
  }
  return plan;
}
