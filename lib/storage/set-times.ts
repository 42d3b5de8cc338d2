import { futimes, lutimes } from "node:fs";
import { constants as osConstants } from "node:os";
import { promisify } from "node:util";

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

interface Libc {
  futimens(fd: number, times: BigInt64Array): number;
  utimensat(dirfd: number, path: Uint8Array, times: BigInt64Array, flags: number): number;
  errno(): number;
}

let libc: Libc | null | undefined;

async function loadLibc(): Promise<Libc | null> {
  if (libc !== undefined) return libc;
  try {
    if (process.platform !== "linux") throw new Error("not linux");
    const { dlopen, FFIType, ptr, read } = await import("bun:ffi");
    const lib = dlopen("libc.so.6", {
      futimens: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      utimensat: {
        args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32],
        returns: FFIType.i32,
      },
      __errno_location: { args: [], returns: FFIType.ptr },
    });
    libc = {
      futimens: (fd, times) => lib.symbols.futimens(fd, ptr(times)),
      utimensat: (dirfd, path, times, flags) =>
        lib.symbols.utimensat(dirfd, ptr(path), ptr(times), flags),
      errno: () => {
        const at = lib.symbols.__errno_location();
        return at === null ? 0 : read.i32(at, 0);
      },
    };
  } catch {
    libc = null;
  }
  return libc;
}

/** atime = now, mtime = `mtimeNs`, as the `struct timespec[2]` the libc calls take. */
function timespecs(mtimeNs: bigint): BigInt64Array {
  let sec = mtimeNs / 1_000_000_000n;
  let nsec = mtimeNs % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return new BigInt64Array([0n, BigInt(UTIME_NOW), sec, nsec]);
}

function failure(call: string, file: string, errno: number): Error {
  const name = Object.entries(osConstants.errno).find(([, n]) => n === errno)?.[0];
  return Object.assign(new Error(`${call} failed on ${file} (${name ?? `errno ${errno}`})`), {
    code: name,
  });
}

const asSeconds = (ns: bigint): number => Number(ns) / 1e9;

/**
 * Sets the mtime of the open file `fd` (named `file` in errors) to exactly `mtimeNs`; atime
 * becomes now. Throws an Error carrying the errno name as `code`.
 */
export async function setFileMtime(fd: number, mtimeNs: bigint, file: string): Promise<void> {
  const c = await loadLibc();
  if (c === null) {
    await promisify(futimes)(fd, Date.now() / 1000, asSeconds(mtimeNs));
    return;
  }
  if (c.futimens(fd, timespecs(mtimeNs)) !== 0) throw failure("futimens", file, c.errno());
}

/** Sets the mtime of the symlink itself at the absolute path `abs` (never its target). */
export async function setLinkMtime(abs: string, mtimeNs: bigint): Promise<void> {
  const c = await loadLibc();
  if (c === null) {
    await promisify(lutimes)(abs, Date.now() / 1000, asSeconds(mtimeNs));
    return;
  }
  const path = Buffer.from(`${abs}\0`, "utf8");
  if (c.utimensat(AT_FDCWD, path, timespecs(mtimeNs), AT_SYMLINK_NOFOLLOW) !== 0) {
    throw failure("utimensat", abs, c.errno());
  }
}
