import { constants } from "node:fs";
import { open } from "node:fs/promises";
import type { ArenaPath } from "../model/arena-path.ts";
import { ioError } from "../model/errors.ts";
import type { RealRoot } from "./real-root.ts";

/**
 * Makes the entries of directory `dir` of `root` (the root itself when undefined) durable:
 * after a rename into it returns, a crash can no longer bring back the old name. Opens the
 * directory without following a link.
 */
export async function fsyncDir(root: RealRoot, dir: ArenaPath | undefined): Promise<void> {
  const abs = dir === undefined ? root.dir : await root.resolve(dir);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(
      abs,
      constants.O_RDONLY | constants.O_DIRECTORY | (dir === undefined ? 0 : constants.O_NOFOLLOW),
    );
    await handle.sync();
  } catch (e) {
    throw ioError("flush the directory", abs, e);
  } finally {
    await handle?.close();
  }
}
