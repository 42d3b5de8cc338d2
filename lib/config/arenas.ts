import { realpath, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { RealizeError, usageError } from "../model/errors.ts";
import { checkName } from "../model/names.ts";
import { rootOverlap } from "./config.ts";
import { addTable, editConfig, removeTable } from "./config-edit.ts";
import type { PeerPaths } from "./paths.ts";
import { parseSize } from "./size.ts";
import type { ArenaConfig, ArenaMode, Config } from "./types.ts";

/** An arena to add, as given on the command line (unchecked). */
export interface NewArena {
  name: string;
  /** A directory; relative to `cwd` when not absolute. */
  root?: string;
  mode?: string;
  cacheMax?: string;
}

/** One row of `realize arena list --json` (CLI.md): root absolute or null, cache_max in bytes. */
export interface ArenaListEntry {
  name: string;
  root: string | null;
  mode: ArenaMode;
  cache_max: number;
}

/**
 * Adds `[arenas.NAME]` to the config, keeping the rest of the file as it was. The root must
 * be an existing directory (realize never creates one), must not overlap another arena's
 * root or this peer's own config or state directory, and is written as an absolute path.
 * A mirror arena needs a root; without `mode` an arena with a root is a mirror, one
 * without is partial (cache-only). Refusals are usage errors (exit 2), file untouched.
 */
export async function addArena(
  paths: PeerPaths,
  arena: NewArena,
  cwd: string = process.cwd(),
): Promise<ArenaConfig> {
  const nameProblem = checkName("arena", arena.name);
  if (nameProblem) throw usageError(nameProblem, { arena: arena.name });
  if (arena.mode !== undefined && arena.mode !== "mirror" && arena.mode !== "partial") {
    throw usageError(`--mode must be "mirror" or "partial", not "${arena.mode}"`);
  }
  if (arena.mode === "mirror" && arena.root === undefined) {
    throw usageError(`a mirror arena needs --root; use --mode partial for a cache-only arena`);
  }
  const cacheMax = arena.cacheMax === undefined ? undefined : parseSize(arena.cacheMax);
  if (typeof cacheMax === "string") throw usageError(`--cache-max ${cacheMax}`);
  const root = arena.root === undefined ? undefined : resolve(cwd, arena.root);
  const realRoot = root === undefined ? undefined : await existingDirectory(root);
  if (realRoot !== undefined) await refuseOwnDirs(realRoot, paths);
  const config = await editConfig(paths.config, async (text, current) => {
    refuseClash(current, arena.name);
    if (realRoot !== undefined) await refuseOverlap(current, realRoot);
    return addTable(text, "arenas", arena.name, {
      root,
      mode: arena.mode ?? (root === undefined ? "partial" : "mirror"),
      cache_max: arena.cacheMax,
    });
  });
  return config.arenas[arena.name]!;
}

async function existingDirectory(root: string): Promise<string> {
  const info = await stat(root).catch(() => undefined);
  if (!info) {
    throw usageError(
      `--root ${root} does not exist; create it first (realize never creates a root)`,
      {
        path: root,
      },
    );
  }
  if (!info.isDirectory()) throw usageError(`--root ${root} is not a directory`, { path: root });
  return realpath(root);
}

async function refuseOwnDirs(realRoot: string, paths: PeerPaths): Promise<void> {
  for (const dir of [paths.configDir, paths.stateDir]) {
    const real = await realpath(dir).catch(() => resolve(dir));
    const overlap = rootOverlap(realRoot, real);
    if (overlap) {
      throw usageError(
        `--root ${realRoot} ${overlap} realize's own directory ${real}; pick another`,
      );
    }
  }
}

/** Roots are compared by real path, so a symlink to another arena's root is seen. */
async function refuseOverlap(config: Config, realRoot: string): Promise<void> {
  for (const other of Object.values(config.arenas)) {
    if (other.root === undefined) continue;
    const otherReal = await realpath(other.root).catch(() => other.root!);
    const overlap = rootOverlap(realRoot, otherReal);
    if (overlap) {
      throw usageError(
        `--root ${realRoot} ${overlap} the root of arena "${other.name}" (${other.root}); one directory belongs to one arena`,
        { file: config.file, arena: other.name },
      );
    }
  }
}

function refuseClash(config: Config, name: string): void {
  if (config.arenas[name]) {
    throw usageError(
      `an arena named "${name}" is already in ${config.file}; \`realize arena remove ${name}\` first to replace it`,
      { file: config.file, arena: name },
    );
  }
}

/**
 * Removes `[arenas.NAME]` from the config with the comments that belong to it. Files in
 * the arena's root are not touched. RealizeError("unknown_arena") when there is no such arena.
 */
export async function removeArena(paths: PeerPaths, name: string): Promise<ArenaConfig> {
  let removed: ArenaConfig | undefined;
  await editConfig(paths.config, (text, config) => {
    removed = config.arenas[name];
    if (!removed) {
      throw new RealizeError("unknown_arena", `no arena named "${name}" in ${config.file}`, {
        file: config.file,
        arena: name,
      });
    }
    const changed = removeTable(text, "arenas", name);
    if (changed === undefined) {
      throw new RealizeError(
        "config",
        `${config.file}: arena "${name}" is not written as an [arenas.${name}] table; remove it by hand`,
        { file: config.file, key: `arenas.${name}` },
      );
    }
    return changed;
  });
  return removed!;
}

/** The arenas as `arena list --json` prints them, sorted by name. */
export function arenaList(config: Config): ArenaListEntry[] {
  return Object.values(config.arenas)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((arena) => ({
      name: arena.name,
      root: arena.root ?? null,
      mode: arena.mode,
      cache_max: arena.cacheMax,
    }));
}

/**
 * Arena roots that are not an existing directory right now (a disk not mounted, a folder
 * renamed), with the reason. Only reported: nothing is ever created or removed for them.
 */
export async function missingRoots(config: Config): Promise<{ arena: string; reason: string }[]> {
  const out: { arena: string; reason: string }[] = [];
  for (const arena of Object.values(config.arenas)) {
    if (arena.root === undefined) continue;
    const info = await stat(arena.root).catch(() => undefined);
    if (!info) out.push({ arena: arena.name, reason: `root ${arena.root} does not exist` });
    else if (!info.isDirectory()) {
      out.push({ arena: arena.name, reason: `root ${arena.root} is not a directory` });
    }
  }
  return out;
}
