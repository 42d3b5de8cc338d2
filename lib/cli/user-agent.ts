import type { Config, Hook } from "@oclif/core";

/** The runtime a build of realize runs on, as `realize --version` names it. */
export interface Runtime {
  bun: string;
  platform: string;
  arch: string;
}

/** The runtime of this process. */
export function currentRuntime(): Runtime {
  return { bun: Bun.version, platform: process.platform, arch: process.arch };
}

/**
 * What `realize --version` (and the VERSION section of `realize --help`) prints, e.g.
 * `realize 0.1.0 (bun 1.4.5, linux-x64)`: the package version and the runtime actually in
 * use, not the Node version Bun reports for compatibility.
 */
export function userAgent(bin: string, version: string, runtime = currentRuntime()): string {
  return `${bin} ${version} (bun ${runtime.bun}, ${runtime.platform}-${runtime.arch})`;
}

/** oclif init hook: puts realize's own user agent in place of oclif's before it is shown. */
const hook: Hook<"init"> = async ({ config }) => {
  (config as Config).userAgent = userAgent(config.bin, config.version);
};

export default hook;
