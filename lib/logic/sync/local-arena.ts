import type { Config } from "../../config/types.ts";
import { RealizeError } from "../../model/errors.ts";
import type { IndexDb } from "../../storage/index-db.ts";
import { RealRoot } from "../../storage/real-root.ts";
import type { LocalDestination } from "./local-destination.ts";
import type { LocalSource } from "./local-source.ts";
import type { LocalArena } from "./local-tree.ts";

/**
 * Opens arena `name` of this peer's config for a transfer. `asking` names the peer that
 * asked over the network (its request is refused with "not_shared" when this peer has no
 * such arena); without it the caller is the local CLI, for which an unknown arena is a
 * usage error ("unknown_arena", exit 2).
 */
export async function openLocalArena(
  config: Config,
  index: IndexDb,
  name: string,
  asking?: string,
): Promise<LocalArena> {
  const arena = config.arenas[name];
  if (!arena) {
    if (asking !== undefined) {
      throw new RealizeError(
        "not_shared",
        `peer ${config.peer.name} does not share arena ${name}`,
        {
          arena: name,
          peer: config.peer.name,
        },
      );
    }
    throw new RealizeError("unknown_arena", `arena ${name} is not in the config ${config.file}`, {
      arena: name,
      file: config.file,
    });
  }
  if (arena.root === undefined) {
    throw new RealizeError(
      "not_shared",
      `arena ${name} has no root on peer ${config.peer.name} (cache-only), so it cannot send or receive whole files`,
      { arena: name, peer: config.peer.name },
    );
  }
  const root = await RealRoot.open(arena.root);
  return { name, root, index };
}

/** Both local endpoints of an arena, as the sync service hands them to a calling peer. */
export async function localEndpoints(
  config: Config,
  index: IndexDb,
  name: string,
  asking?: string,
): Promise<{ source: LocalSource; destination: LocalDestination }> {
  const arena = await openLocalArena(config, index, name, asking);
  return { source: await localSource(arena), destination: await localDestination(arena) };
}

/**
 * The source side of an arena opened by openLocalArena. Its module is loaded on first use,
 * as is the destination's: a push needs only the one, a pull only the other.
 */
export async function localSource(arena: LocalArena): Promise<LocalSource> {
  const { LocalSource } = await import("./local-source.ts");
  return new LocalSource(arena);
}

/** The destination side of an arena opened by openLocalArena (see localSource). */
export async function localDestination(arena: LocalArena): Promise<LocalDestination> {
  const { LocalDestination } = await import("./local-destination.ts");
  return new LocalDestination(arena);
}
