import type { BigIntStats } from "node:fs";
import { closeSync, constants, fstatSync, lstatSync, openSync, unlinkSync } from "node:fs";
import { constants as osConstants } from "node:os";
import type { ArenaPath } from "../model/arena-path.ts";
import { ioError, RealizeError } from "../model/errors.ts";
import { type Libc, LOCK_EX, LOCK_NB, libcError } from "./libc.ts";
import { NO_FOLLOW } from "./real-root.ts";

const errnoOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

/** The refusal of a partial that another reception holds (its lock is taken). */
export function partialBusy(target: ArenaPath, abs: string): RealizeError {
  return new RealizeError(
    "refused",
    `another transfer is receiving ${JSON.stringify(target.text)} right now (${abs} is locked); run again once it is done`,
    { path: target.text, file: abs },
  );
}

/** The refusal of a partial whose name a directory (`isDir`) or something else occupies. */
export function partialInTheWay(
  target: ArenaPath,
  partial: ArenaPath,
  isDir: boolean,
): RealizeError {
  return new RealizeError(
    "bad_path",
    isDir
      ? `cannot receive ${JSON.stringify(target.text)}: a directory named ${JSON.stringify(partial.text)} is in the way; remove it`
      : `cannot receive ${JSON.stringify(target.text)}: ${JSON.stringify(partial.text)} is not a plain file`,
    { path: target.text },
  );
}

/** A partial file opened read-write and locked by this process. */
export interface ClaimedPartial {
  fd: number;
  stats: BigIntStats;
}

/**
 * Opens (creating it with `mode` less the umask, 0600 unless told) and locks the partial
 * file `abs` of `target` with blocking calls, by the rules of PartialFile.open: never through a link (a symlink or hard-linked
 * file under the partial's name is removed and a fresh file made), a directory there is
 * refused ("bad_path"), and a partial another reception holds is refused ("refused"). The
 * parent directories must have been checked by the caller. Without libc nothing is locked.
 */
export function claimPartialSync(
  abs: string,
  target: ArenaPath,
  partial: ArenaPath,
  c: Libc | null,
  mode = 0o600,
): ClaimedPartial {
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(abs, constants.O_RDWR | constants.O_CREAT | NO_FOLLOW, mode);
    } catch (e) {
      if (errnoOf(e) === "ELOOP" && attempt === 0) {
        removeQuietlySync(abs);
        continue;
      }
      if (errnoOf(e) === "EISDIR") throw partialInTheWay(target, partial, true);
      throw ioError("create the partial file", abs, e);
    }
    const stats = fstatSync(fd, { bigint: true });
    if (stats.isFile() && stats.nlink === 1n) {
      if (c === null) return { fd, stats };
      if (c.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
        const errno = c.errno();
        closeSync(fd);
        if (errno === osConstants.errno.EWOULDBLOCK) throw partialBusy(target, abs);
        throw ioError("lock", abs, libcError("flock", abs, errno));
      }
      const now = lstatOrUndefined(abs);
      if (now !== undefined && now.ino === stats.ino && now.dev === stats.dev) return { fd, stats };
      closeSync(fd);
      if (attempt < 3) continue;
      throw partialBusy(target, abs);
    }
    closeSync(fd);
    if (attempt > 0 || stats.isDirectory()) {
      throw partialInTheWay(target, partial, stats.isDirectory());
    }
    removeQuietlySync(abs);
  }
}

function lstatOrUndefined(abs: string): BigIntStats | undefined {
  try {
    return lstatSync(abs, { bigint: true });
  } catch {
    return undefined;
  }
}

/** Removes `abs` if it is there. */
export function removeQuietlySync(abs: string): void {
  try {
    unlinkSync(abs);
  } catch (e) {
    if (errnoOf(e) !== "ENOENT") throw ioError("remove", abs, e);
  }
}
