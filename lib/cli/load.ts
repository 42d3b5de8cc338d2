import type { PeerPaths } from "../config/paths.ts";
import type { Config } from "../config/types.ts";

/** What most commands start from: where this peer's things are, and its validated config. */
export interface LoadedPeer {
  paths: PeerPaths;
  config: Config;
}

/**
 * Resolves this peer's paths from the environment and the `--config` flag (CLI.md "Where a
 * peer's things live"). Loads only the small paths module, so commands stay fast to start.
 */
export async function peerPathsFor(configFlag: string | undefined): Promise<PeerPaths> {
  const { peerPaths } = await import("../config/paths.ts");
  return peerPaths(process.env, configFlag);
}

/**
 * Resolves the paths and loads the whole config, validated: a missing or bad config throws
 * the RealizeError that RealizeCommand turns into a message and exit 2.
 */
export async function loadPeer(configFlag: string | undefined): Promise<LoadedPeer> {
  const paths = await peerPathsFor(configFlag);
  const { loadConfig } = await import("../config/config.ts");
  return { paths, config: await loadConfig(paths.config) };
}
