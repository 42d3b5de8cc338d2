import { futimes, lutimes } from "node:fs";
import { promisify } from "node:util";
import { libc, libcError } from "./libc.ts";

/*
 * File times at full nanosecond precision. Node's utimes family takes seconds as a double,
 * which keeps only about 0.2 µs at today's dates (1700000000.123456789 s comes back as
 * …123456716 ns), so an mtime copied that way would differ from the source's and every
 * later scan would see a change. On Linux the libc calls futimens and utimensat are called
 * through bun:ffi with whole seconds and nanoseconds; if libc cannot be loaded the
 * double-based calls are the fallback.
 */

/** `timespec.tv_nsec` value asking the kernel for the current time (used for atime). */
const UTIME_NOW = (1 << 30) - 1;
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;

/** atime = now, mtime = `mtimeNs`, as the `struct timespec[2]` that futimens and utimensat take. */
export function fileTimes(mtimeNs: bigint): BigInt64Array {
  let sec = mtimeNs / 1_000_000_000n;
  let nsec = mtimeNs % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return new BigInt64Array([0n, BigInt(UTIME_NOW), sec, nsec]);
}

/** Seconds as a double, for the fallbacks without libc. */
export const asSeconds = (ns: bigint): number => Number(ns) / 1e9;

/**
 * Sets the mtime of the open file `fd` (named `file` in errors) to exactly `mtimeNs`; atime
 * becomes now. Throws an Error carrying the errno name as `code`.
 */
export async function setFileMtime(fd: number, mtimeNs: bigint, file: string): Promise<void> {
  const c = await libc();
  if (c === null) {
    await promisify(futimes)(fd, Date.now() / 1000, asSeconds(mtimeNs));
    return;
  }
  if (c.futimens(fd, fileTimes(mtimeNs)) !== 0) throw libcError("futimens", file, c.errno());
}

/** Sets the mtime of the symlink itself at the absolute path `abs` (never its target). */
export async function setLinkMtime(abs: string, mtimeNs: bigint): Promise<void> {
  const c = await libc();
  if (c === null) {
    await promisify(lutimes)(abs, Date.now() / 1000, asSeconds(mtimeNs));
    return;
  }
  const path = Buffer.from(`${abs}\0`, "utf8");
  if (c.utimensat(AT_FDCWD, path, fileTimes(mtimeNs), AT_SYMLINK_NOFOLLOW) !== 0) {
    throw libcError("utimensat", abs, c.errno());
  }
}
