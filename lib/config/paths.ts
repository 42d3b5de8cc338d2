import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Where one peer keeps its things (CLI.md "Where a peer's things live"). */
export interface PeerPaths {
  /** Directory of config.toml and key.pem; created by `init` with mode 0700. */
  configDir: string;
  config: string;
  key: string;
  /** Database, blob cache, control socket. */
  stateDir: string;
  /** The UNIX control socket of a running `realize serve`. */
  controlSocket: string;
}

/**
 * Resolves the paths of this peer from REALIZE_HOME, else XDG_CONFIG_HOME / XDG_DATA_HOME,
 * else ~/.config/realize and ~/.local/share/realize. `configOverride` (the --config flag)
 * replaces only the config file; the key and state stay where the environment puts them.
 */
export function peerPaths(
  env: Record<string, string | undefined> = process.env,
  configOverride?: string,
): PeerPaths {
  const home = env.REALIZE_HOME;
  let configDir: string;
  let stateDir: string;
  if (home) {
    configDir = resolve(home);
    stateDir = join(configDir, "state");
  } else {
    const userHome = env.HOME || homedir();
    configDir = join(env.XDG_CONFIG_HOME || join(userHome, ".config"), "realize");
    stateDir = join(env.XDG_DATA_HOME || join(userHome, ".local", "share"), "realize");
  }
  return {
    configDir,
    config: configOverride ? resolve(configOverride) : join(configDir, "config.toml"),
    key: join(configDir, "key.pem"),
    stateDir,
    controlSocket: join(stateDir, "control.sock"),
  };
}
