import { existsSync } from "node:fs";
import { join } from "node:path";

/** What the fuse3-napi binding (native/fuse3.c) exports. */
export interface Fuse3Binding {
  /** libfuse version built against and running. */
  version(): { built: string; runtime: string; runtimeNumber: number };
  /** "ok" when /dev/fuse can be opened read-write, else the reason. */
  deviceStatus(): string;
}

/** Path of the built addon; `bash native/build.sh` (run by scripts/setup.sh) creates it. */
export const FUSE3_ADDON = join(import.meta.dir, "build", "fuse3.node");

/**
 * Loads the binding. Throws an Error that says how to build it when the addon is missing, so
 * a user who skipped the set-up learns what to run.
 */
export function loadFuse3(): Fuse3Binding {
  if (!existsSync(FUSE3_ADDON)) {
    throw new Error(`the FUSE binding is not built (${FUSE3_ADDON}); run: bash native/build.sh`);
  }
  return require(FUSE3_ADDON) as Fuse3Binding;
}
