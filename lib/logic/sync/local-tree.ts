import type { ArenaPath } from "../../model/arena-path.ts";
import { errorMessage } from "../../model/errors.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import type { IndexDb } from "../../storage/index-db.ts";
import { type RealEntry, realEntry } from "../../storage/real-entry.ts";
import type { RealRoot } from "../../storage/real-root.ts";
import { walkArena } from "../../storage/walk.ts";
import { concurrently } from "./concurrently.ts";
import type { ListHashes, Listing, PathFailure } from "./endpoints.ts";

/** Files hashed at once while listing (reads overlap; hashing is on the main thread). */
const HASH_LANES = 8;
/** A listing of the whole arena with at least this many entries reads the index in one query. */
const PRELOAD_FROM = 64;

/** One arena root of this peer with its index: what both local endpoints stand on. */
export interface LocalArena {
  name: string;
  root: RealRoot;
  index: IndexDb;
}

/** The TreeEntry of a real entry, with its hash for a file. */
export function treeEntry(entry: RealEntry, hash?: TreeEntry["hash"]): TreeEntry {
  const out: TreeEntry = {
    path: entry.path,
    kind: entry.kind,
    size: entry.size,
    mtimeNs: entry.mtimeNs,
    mode: entry.mode,
  };
  if (hash) out.hash = hash;
  if (entry.target !== undefined) out.target = entry.target;
  return out;
}

/**
 * Lists an arena root for a transfer: every entry under `scope` (the directories above
 * each scope path too, so the other side can create them), with the hash of every file
 * from the index when its metadata did not move since it was hashed, else hashed now
 * (or, with `hashes` "known", left out). Unreadable paths are failures, never exceptions.
 */
export async function listLocalTree(
  arena: LocalArena,
  scope: readonly ArenaPath[],
  hashes: ListHashes = "all",
): Promise<Listing> {
  const walk = await walkArena(arena.root, scope.length > 0 ? { under: scope } : {});
  const failures: PathFailure[] = walk.failures.map((f) => ({
    path: f.path,
    error: f.error.message,
  }));
  const ancestors = await scopeAncestors(arena.root, scope);
  const entries: (TreeEntry | undefined)[] = [...ancestors];
  const toHash: { at: number; entry: RealEntry }[] = [];
  const preloaded =
    scope.length === 0 && walk.entries.length >= PRELOAD_FROM
      ? arena.index.preload(arena.name)
      : () => {};
  try {
    for (const entry of walk.entries) {
      const known = entry.kind === "file" ? arena.index.currentHash(arena.name, entry) : undefined;
      if (entry.kind === "file" && known === undefined && hashes === "all") {
        toHash.push({ at: entries.length, entry });
      }
      entries.push(treeEntry(entry, known));
    }
    await concurrently(toHash, HASH_LANES, async ({ at, entry }) => {
      try {
        const checked = await arena.index.hashIfChanged(arena.name, arena.root, entry);
        entries[at] = treeEntry({ ...entry, size: checked.size }, checked.hash);
      } catch (e) {
        entries[at] = undefined;
        failures.push({ path: entry.path.text, error: errorMessage(e) });
      }
    });
  } finally {
    preloaded();
  }
  return { entries: entries.filter((e) => e !== undefined), failures };
}

/** The directories above the scope paths, as entries, outermost first. */
async function scopeAncestors(root: RealRoot, scope: readonly ArenaPath[]): Promise<TreeEntry[]> {
  const seen = new Set<string>();
  const out: TreeEntry[] = [];
  for (const path of scope) {
    const chain: ArenaPath[] = [];
    for (let p = path.parent(); p; p = p.parent()) chain.unshift(p);
    for (const dir of chain) {
      if (seen.has(dir.text)) continue;
      seen.add(dir.text);
      const stats = await root.lstat(dir);
      const entry = stats && realEntry(dir, stats);
      if (entry?.kind === "dir") out.push(treeEntry(entry));
    }
  }
  return out;
}
