import type { BigIntStats } from "node:fs";
import { constants } from "node:fs";
import { lstat, open, rename, rmdir, symlink, unlink } from "node:fs/promises";
import { type ArenaPath, partialPathFor } from "../model/arena-path.ts";
import { ioError, RealizeError } from "../model/errors.ts";
import { fsyncDir } from "./fsync-dir.ts";
import {
  kindOf,
  type RealEntry,
  type RealEntryKind,
  realEntry,
  sameVersion,
} from "./real-entry.ts";
import { inTheWay, NO_FOLLOW, type RealRoot } from "./real-root.ts";
import { setFileMtime, setLinkMtime } from "./set-times.ts";

const errnoOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

/** The metadata that identifies one version of a file (see RealEntry). */
export type FileVersion = Pick<RealEntry, "size" | "mtimeNs" | "ino" | "ctimeNs">;

/**
 * Changes to an arena root other than file content (which PartialFile writes): directories,
 * symlinks, and removals for `--move`. Every change checks the parents like RealRoot does,
 * so nothing is ever created, replaced or removed through a symlink: where the destination
 * has a link in place of a directory, the change is refused ("bad_path") naming the path.
 */
export class RealEdits {
  readonly root: RealRoot;

  constructor(root: RealRoot) {
    this.root = root;
  }

  /**
   * Makes `dir` a directory, creating missing parents. Refuses when a file or a symlink
   * stands at `dir` or above it (the caller decides whether to remove it first).
   */
  async makeDir(dir: ArenaPath): Promise<RealEntry> {
    await this.root.ensureDir(dir);
    return (await this.#entry(dir))!;
  }

  /**
   * Makes `path` a symlink whose text is `target` (copied as is, whatever it points to,
   * never followed), replacing atomically any file or link there: the link is created
   * under the partial name and renamed over. Keeps `mtimeNs` on the link itself when given.
   * Refuses when a directory stands at `path`.
   */
  async placeSymlink(path: ArenaPath, target: string, mtimeNs?: bigint): Promise<RealEntry> {
    if (target === "" || target.includes("\0")) {
      throw new RealizeError(
        "bad_path",
        `refusing the symlink ${JSON.stringify(path.text)}: its target ${JSON.stringify(target)} is empty or has a NUL byte`,
        { path: path.text },
      );
    }
    const parent = path.parent();
    if (parent !== undefined) await this.root.ensureDir(parent, path);
    const abs = await this.root.resolve(path);
    const there = await this.#lstat(abs);
    if (there?.isDirectory()) {
      throw new RealizeError(
        "bad_path",
        `refusing the symlink ${JSON.stringify(path.text)}: a directory stands there in ${this.root.dir}`,
        { path: path.text },
      );
    }
    const partial = this.root.absolute(partialPathFor(path));
    await this.#removeLeftover(partial, path);
    try {
      await symlink(target, partial);
      if (mtimeNs !== undefined) await setLinkMtime(partial, mtimeNs);
      await rename(partial, abs);
    } catch (e) {
      await unlink(partial).catch(() => undefined);
      throw ioError("create the symlink", abs, e);
    }
    await fsyncDir(this.root, parent);
    return (await this.#entry(path, target))!;
  }

  /**
   * Gives the existing file, directory or symlink at `path` the source's mtime (exactly,
   * in ns) and permission bits (`mode & 0o777`; a symlink has none of its own), without
   * touching content and without following a link. Refuses a path of another kind than
   * `kind` ("bad_path").
   */
  async setMeta(
    path: ArenaPath,
    kind: RealEntryKind,
    meta: { mtimeNs: bigint; mode: number },
  ): Promise<RealEntry> {
    const abs = await this.root.resolve(path);
    const there = await this.#lstat(abs);
    if (there === undefined) {
      throw new RealizeError("not_found", `cannot set the mtime of ${abs}: it is not there`, {
        path: path.text,
        file: abs,
      });
    }
    const found = kindOf(there) ?? "a special file";
    if (found !== kind) {
      throw new RealizeError(
        "bad_path",
        `refusing to set the mtime of ${JSON.stringify(path.text)}: it is a ${found} here, not a ${kind}`,
        { path: path.text },
      );
    }
    try {
      if (kind === "symlink") {
        await setLinkMtime(abs, meta.mtimeNs);
      } else {
        const flags = constants.O_RDONLY | NO_FOLLOW | (kind === "dir" ? constants.O_DIRECTORY : 0);
        const handle = await open(abs, flags);
        try {
          await handle.chmod(meta.mode & 0o777);
          await setFileMtime(handle.fd, meta.mtimeNs, abs);
        } finally {
          await handle.close();
        }
      }
    } catch (e) {
      throw ioError("set the mode and mtime of", abs, e);
    }
    return (await this.#entry(
      path,
      kind === "symlink" ? await this.root.readLink(path) : undefined,
    ))!;
  }

  /**
   * Removes the file or symlink at `path` (for `--move`, once its copy is verified). When
   * `expected` is given and the file no longer matches it (size, mtime, inode, ctime), it
   * is kept and RealizeError "changed" is thrown: a version nobody copied is never deleted.
   * A path already gone is fine. Refuses a directory.
   */
  async removeFile(path: ArenaPath, expected?: FileVersion): Promise<void> {
    const abs = await this.root.resolve(path);
    const there = await this.#lstat(abs);
    if (there === undefined) return;
    if (there.isDirectory()) throw inTheWay(path, path.text, there);
    const now = realEntry(path, there);
    if (expected !== undefined && (now === undefined || !sameVersion(now, expected))) {
      throw new RealizeError(
        "changed",
        `kept ${abs}: it changed after it was copied, so its new version exists nowhere else`,
        { path: path.text, file: abs },
      );
    }
    try {
      await unlink(abs);
    } catch (e) {
      if (errnoOf(e) !== "ENOENT") throw ioError("remove", abs, e);
    }
  }

  /**
   * Removes the directory `dir` if it is empty; true when it is gone. A directory that is
   * not empty (or holds a partial) is kept and false returned; a symlink there is refused.
   */
  async removeEmptyDir(dir: ArenaPath): Promise<boolean> {
    const abs = await this.root.resolve(dir);
    const there = await this.#lstat(abs);
    if (there === undefined) return true;
    if (!there.isDirectory()) throw inTheWay(dir, dir.text, there);
    try {
      await rmdir(abs);
      return true;
    } catch (e) {
      if (errnoOf(e) === "ENOTEMPTY" || errnoOf(e) === "EEXIST") return false;
      if (errnoOf(e) === "ENOENT") return true;
      throw ioError("remove the directory", abs, e);
    }
  }

  /**
   * Removes `dir` and then each parent that this leaves empty, up to but never including
   * the root (the `--move` clean-up of source directories). Returns the directories removed.
   */
  async pruneEmptyDirs(dir: ArenaPath): Promise<ArenaPath[]> {
    const removed: ArenaPath[] = [];
    for (let at: ArenaPath | undefined = dir; at !== undefined; at = at.parent()) {
      if (!(await this.removeEmptyDir(at))) break;
      removed.push(at);
    }
    return removed;
  }

  async #lstat(abs: string): Promise<BigIntStats | undefined> {
    try {
      return await lstat(abs, { bigint: true });
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return undefined;
      throw ioError("look up", abs, e);
    }
  }

  async #entry(path: ArenaPath, target?: string): Promise<RealEntry | undefined> {
    const stats = await this.root.lstat(path);
    return stats === undefined ? undefined : realEntry(path, stats, target);
  }

  /** Clears the partial name of `path` of a leftover file or link; refuses a directory. */
  async #removeLeftover(partial: string, path: ArenaPath): Promise<void> {
    const there = await this.#lstat(partial);
    if (there === undefined) return;
    if (there.isDirectory()) {
      throw new RealizeError(
        "bad_path",
        `refusing ${JSON.stringify(path.text)}: a directory is in the way at ${partial}; remove it`,
        { path: path.text },
      );
    }
    await unlink(partial);
  }
}
