import { randomBytes } from "node:crypto";
import { link, open, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ioError, RealizeError } from "../model/errors.ts";

/** How `writeFileAtomic` treats an existing file. */
export interface AtomicWriteOptions {
  /** File mode of a new file; an existing file keeps its own mode. Default 0o600. */
  mode?: number;
  /** Leave an existing file alone (and return false) instead of replacing it. */
  exclusive?: boolean;
}

/**
 * Writes `text` to `file` so that readers see either the old content or the new, never a
 * part: a temp file in the same directory is written, fsynced, then renamed over the target
 * (or, with `exclusive`, hard-linked to it, which fails if the target appeared meanwhile, so
 * two concurrent writers cannot clobber each other). A symlinked target is followed, so a
 * config kept in a dotfiles repository stays a link. The directory is fsynced afterwards.
 * Returns false when `exclusive` and the file already exists; nothing is written then.
 */
export async function writeFileAtomic(
  file: string,
  text: string,
  options: AtomicWriteOptions = {},
): Promise<boolean> {
  const target = await realpath(file).catch(() => file);
  const existing = await stat(target).catch(() => undefined);
  if (existing && options.exclusive) return false;
  const mode = existing ? existing.mode & 0o7777 : (options.mode ?? 0o600);
  const dir = dirname(target);
  const temp = join(
    dir,
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  try {
    const handle = await open(temp, "wx", mode);
    try {
      await handle.chmod(mode);
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive) {
      try {
        await link(temp, target);
      } catch (err) {
        if ((err as { code?: unknown }).code === "EEXIST") return false;
        throw err;
      }
    } else {
      await rename(temp, target);
    }
    await syncDir(dir);
    return true;
  } catch (err) {
    if (err instanceof RealizeError) throw err;
    throw ioError("write", target, err);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
