import type { BigIntStats } from "node:fs";
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from "node:fs";
import { type FileHandle, lstat, mkdir, open, readlink, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { type ArenaPath, isPartialName } from "../model/arena-path.ts";
import { ioError, RealizeError } from "../model/errors.ts";
import { dirNames } from "./dir-names.ts";

/**
 * Flags of every open of a file inside an arena root: the last component is never followed
 * (O_NOFOLLOW makes a symlink fail with ELOOP) and a FIFO never blocks the open.
 */
export const NO_FOLLOW = constants.O_NOFOLLOW | constants.O_NONBLOCK;

const errnoOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

/**
 * One arena root on this peer's disk. Every path inside it is an ArenaPath, and every
 * access checks, component by component with lstat, that nothing but real directories
 * lies between the root and the path: a symlink or a file in the way is refused by name
 * (RealizeError "bad_path"), and the last component is opened with O_NOFOLLOW. So no read
 * or write made through a RealRoot lands outside the root, whatever links the tree holds.
 * The root directory itself is the user's choice and is taken as configured (it may be a
 * link). What remains is the race of a directory being swapped for a link between the
 * check and the open by someone writing in the tree at that very moment.
 */
export class RealRoot {
  /** Absolute path of the root directory. */
  readonly dir: string;

  constructor(dir: string) {
    if (!isAbsolute(dir)) throw new RangeError(`an arena root is an absolute path, not ${dir}`);
    this.dir = resolve(dir);
  }

  /** The root of `dir`, after checking that it is an existing directory. */
  static async open(dir: string): Promise<RealRoot> {
    const root = new RealRoot(resolve(dir));
    let stats: BigIntStats;
    try {
      stats = await stat(root.dir, { bigint: true });
    } catch (e) {
      throw ioError("open the arena root", root.dir, e);
    }
    if (!stats.isDirectory()) {
      throw new RealizeError("not_found", `the arena root ${root.dir} is not a directory`, {
        file: root.dir,
      });
    }
    return root;
  }

  /** The absolute path of `path` under the root, without looking at the disk. */
  absolute(path: ArenaPath): string {
    return join(this.dir, ...path.components);
  }

  /**
   * The absolute path of `path` after checking every existing parent component: each must
   * be a directory, not a symlink nor anything else (RealizeError "bad_path" naming `path`
   * and the component). Missing parents are fine: nothing lies in the way yet.
   */
  async resolve(path: ArenaPath): Promise<string> {
    let at = this.dir;
    const parents = path.components.length - 1;
    for (let i = 0; i < parents; i++) {
      at = join(at, path.components[i]!);
      let stats: BigIntStats;
      try {
        stats = await lstat(at, { bigint: true });
      } catch (e) {
        if (errnoOf(e) === "ENOENT") break;
        throw ioError("look up", at, e);
      }
      if (!stats.isDirectory()) {
        throw inTheWay(path, path.components.slice(0, i + 1).join("/"), stats);
      }
    }
    return this.absolute(path);
  }

  /** The lstat of `path` (never following it), or undefined when nothing is there. */
  async lstat(path: ArenaPath): Promise<BigIntStats | undefined> {
    const abs = await this.resolve(path);
    try {
      return await lstat(abs, { bigint: true });
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return undefined;
      throw ioError("look up", abs, e);
    }
  }

  /**
   * Opens the regular file at `path` for reading without following any link. A symlink,
   * directory or special file there is refused ("bad_path"), a missing file is "not_found".
   */
  async openRead(path: ArenaPath): Promise<FileHandle> {
    return (await this.openReadStat(path)).handle;
  }

  /** Like openRead, also giving the lstat of the file that was opened. */
  async openReadStat(path: ArenaPath): Promise<{ handle: FileHandle; stats: BigIntStats }> {
    const abs = await this.resolve(path);
    let handle: FileHandle;
    try {
      handle = await open(abs, constants.O_RDONLY | NO_FOLLOW);
    } catch (e) {
      if (errnoOf(e) === "ELOOP") throw notAFile(path, "a symlink");
      throw ioError("open", abs, e);
    }
    const stats = await handle.stat({ bigint: true });
    if (!stats.isFile()) {
      await handle.close();
      throw notAFile(path, stats.isDirectory() ? "a directory" : "not a regular file");
    }
    return { handle, stats };
  }

  /**
   * `resolve` with blocking lstat calls (a few µs each, cheaper than a thread-pool round
   * trip when many small files are read one after another).
   */
  resolveSync(path: ArenaPath): string {
    let at = this.dir;
    const parents = path.components.length - 1;
    for (let i = 0; i < parents; i++) {
      at = join(at, path.components[i]!);
      let stats: BigIntStats;
      try {
        stats = lstatSync(at, { bigint: true });
      } catch (e) {
        if (errnoOf(e) === "ENOENT") break;
        throw ioError("look up", at, e);
      }
      if (!stats.isDirectory()) {
        throw inTheWay(path, path.components.slice(0, i + 1).join("/"), stats);
      }
    }
    return this.absolute(path);
  }

  /**
   * The whole content of the small regular file at `path`, read with blocking calls
   * through a no-follow open (refusals as openRead), with the file's fstat before and
   * after the read: when they are equal (and match what the index recorded), the bytes are
   * that version. A file that grew past `maxBytes` is read only that far (`data` then ends
   * short of `after.size`).
   */
  readWholeSync(
    path: ArenaPath,
    maxBytes: number,
  ): { data: Uint8Array; before: BigIntStats; after: BigIntStats } {
    const abs = this.resolveSync(path);
    let fd: number;
    try {
      fd = openSync(abs, constants.O_RDONLY | NO_FOLLOW);
    } catch (e) {
      if (errnoOf(e) === "ELOOP") throw notAFile(path, "a symlink");
      throw ioError("open", abs, e);
    }
    try {
      const before = fstatSync(fd, { bigint: true });
      if (!before.isFile()) {
        throw notAFile(path, before.isDirectory() ? "a directory" : "not a regular file");
      }
      const data = Buffer.allocUnsafe(Math.min(Number(before.size), maxBytes));
      let done = 0;
      try {
        while (done < data.length) {
          const n = readSync(fd, data, done, data.length - done, done);
          if (n === 0) break;
          done += n;
        }
      } catch (e) {
        throw ioError("read", abs, e);
      }
      return { data: data.subarray(0, done), before, after: fstatSync(fd, { bigint: true }) };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Up to `length` bytes of the file at `path` from `offset`; fewer only at the end of the
   * file. Reads through a no-follow open (see openRead).
   */
  async readRange(path: ArenaPath, offset: number, length: number): Promise<Uint8Array> {
    const handle = await this.openRead(path);
    try {
      return await readFully(handle, offset, length, this.absolute(path));
    } finally {
      await handle.close();
    }
  }

  /**
   * The bytes `[offset, offset + length)` of the file at `path` as a stream of chunks of at
   * most `chunkBytes` (each a fresh buffer the consumer may keep), read through one
   * no-follow open. Throws RealizeError "changed" naming the file when it ends before
   * `offset + length`: it changed since it was listed.
   */
  async *readChunks(
    path: ArenaPath,
    offset: number,
    length: number,
    chunkBytes = 256 * 1024,
  ): AsyncGenerator<Uint8Array> {
    const handle = await this.openRead(path);
    try {
      for (let at = offset; at < offset + length; ) {
        const want = Math.min(chunkBytes, offset + length - at);
        const chunk = await readFully(handle, at, want, this.absolute(path));
        if (chunk.length < want) {
          throw new RealizeError(
            "changed",
            `${this.absolute(path)} ended at byte ${at + chunk.length}, before ${offset + length}: it changed since it was listed`,
            { path: path.text, file: this.absolute(path) },
          );
        }
        at += chunk.length;
        yield chunk;
      }
    } finally {
      await handle.close();
    }
  }

  /** The target text of the symlink at `path` (never followed). */
  async readLink(path: ArenaPath): Promise<string> {
    const abs = await this.resolve(path);
    try {
      return await readlink(abs);
    } catch (e) {
      if (errnoOf(e) === "EINVAL") throw notAFile(path, "not a symlink");
      throw ioError("read the link", abs, e);
    }
  }

  /**
   * Names in the directory `dir` (the root when undefined), partial files left out, in no
   * particular order. Names that are not valid UTF-8 are left out too (walkArena reports
   * them).
   */
  async list(dir?: ArenaPath): Promise<string[]> {
    const abs = dir === undefined ? this.dir : await this.resolve(dir);
    if (dir !== undefined) {
      const stats = await this.lstat(dir);
      if (stats !== undefined && !stats.isDirectory()) throw inTheWay(dir, dir.text, stats);
    }
    const { names } = await dirNames(abs);
    return names.filter((name) => !isPartialName(name));
  }

  /**
   * Makes `dir` and any missing parent a directory, creating each missing component
   * (mode 0777 less the umask). Refuses ("bad_path", naming `forPath`, by default `dir`)
   * when a symlink or a non-directory is in the way. Returns the absolute path.
   */
  async ensureDir(dir: ArenaPath, forPath: ArenaPath = dir): Promise<string> {
    let at = this.dir;
    for (let i = 0; i < dir.components.length; i++) {
      at = join(at, dir.components[i]!);
      let stats: BigIntStats | undefined;
      try {
        stats = await lstat(at, { bigint: true });
      } catch (e) {
        if (errnoOf(e) !== "ENOENT") throw ioError("look up", at, e);
      }
      if (stats === undefined) {
        try {
          await mkdir(at);
          continue;
        } catch (e) {
          if (errnoOf(e) !== "EEXIST") throw ioError("create the directory", at, e);
          stats = await lstat(at, { bigint: true });
        }
      }
      if (!stats.isDirectory()) {
        throw inTheWay(forPath, dir.components.slice(0, i + 1).join("/"), stats);
      }
    }
    return at;
  }
}

/** Reads until `length` bytes or the end of the file; the result is a view of what came. */
export async function readFully(
  handle: FileHandle,
  offset: number,
  length: number,
  file: string,
): Promise<Uint8Array> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  try {
    while (done < length) {
      const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } catch (e) {
    throw ioError("read", file, e);
  }
  return buffer.subarray(0, done);
}

function kindOf(stats: BigIntStats): string {
  if (stats.isSymbolicLink()) return "a symlink";
  if (stats.isFile()) return "a file";
  return "not a directory";
}

/** The error for a path whose parent `at` (an arena path text) is not a plain directory. */
export function inTheWay(path: ArenaPath, at: string, stats: BigIntStats): RealizeError {
  const what = kindOf(stats);
  const where = at === path.text ? "it" : JSON.stringify(at);
  const why = stats.isSymbolicLink()
    ? "realize never reads or writes through a link"
    : "a directory is needed there";
  return new RealizeError(
    "bad_path",
    `refusing ${JSON.stringify(path.text)}: ${where} is ${what} in the arena root; ${why}`,
    { path: path.text, at },
  );
}

function notAFile(path: ArenaPath, what: string): RealizeError {
  return new RealizeError(
    "bad_path",
    `refusing ${JSON.stringify(path.text)}: it is ${what}, not a regular file; realize never follows links`,
    { path: path.text },
  );
}
