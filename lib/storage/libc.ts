import { constants as osConstants } from "node:os";

/**
 * The few libc calls realize needs that Node's fs does not offer, bound through bun:ffi
 * on Linux: futimens/utimensat (nanosecond times), syncfs (one flush for a whole
 * filesystem), flock (one writer per partial file), copy_file_range (a copy inside the
 * kernel) and, where libc has it, statx (an lstat into a caller's buffer, for walks). Each
 * call returns 0 or -1 as in C (copyFileRange: the bytes copied or -1); `errno()` reads the
 * thread's errno.
 */
export interface Libc {
  futimens(fd: number, times: BigInt64Array): number;
  utimensat(dirfd: number, path: Uint8Array, times: BigInt64Array, flags: number): number;
  syncfs(fd: number): number;
  /** flock(2): an advisory lock held by one open file description (not by the process). */
  flock(fd: number, operation: number): number;
  /** copy_file_range(2) at explicit offsets (neither file's own offset moves). */
  copyFileRange(
    fdIn: number,
    offsetIn: number,
    fdOut: number,
    offsetOut: number,
    length: number,
  ): number;
  /**
   * statx(2) of the NUL-terminated `path` (relative to `dirfd`, or AT_FDCWD) into `out`
   * (256 bytes, the kernel's struct statx); undefined when libc has no statx (glibc < 2.28).
   */
  statx?: (dirfd: number, path: Uint8Array, flags: number, mask: number, out: Uint8Array) => number;
  errno(): number;
}

/** flock(2) operations. */
export const LOCK_EX = 2;
export const LOCK_NB = 4;

let loaded: Libc | null | undefined;

/** The bound calls, or null when not on Linux or libc cannot be loaded (callers fall back). */
export async function libc(): Promise<Libc | null> {
  if (loaded !== undefined) return loaded;
  try {
    if (process.platform !== "linux") throw new Error("not linux");
    const { dlopen, FFIType, ptr, read } = await import("bun:ffi");
    const lib = dlopen("libc.so.6", {
      futimens: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      utimensat: {
        args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32],
        returns: FFIType.i32,
      },
      syncfs: { args: [FFIType.i32], returns: FFIType.i32 },
      flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      copy_file_range: {
        args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.u32],
        returns: FFIType.i64,
      },
      __errno_location: { args: [], returns: FFIType.ptr },
    });
    let statx: Libc["statx"];
    try {
      const x = dlopen("libc.so.6", {
        statx: {
          args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.u32, FFIType.ptr],
          returns: FFIType.i32,
        },
      });
      statx = (dirfd, path, flags, mask, out) =>
        x.symbols.statx(dirfd, ptr(path), flags, mask, ptr(out));
    } catch {
      statx = undefined;
    }
    loaded = {
      futimens: (fd, times) => lib.symbols.futimens(fd, ptr(times)),
      utimensat: (dirfd, path, times, flags) =>
        lib.symbols.utimensat(dirfd, ptr(path), ptr(times), flags),
      syncfs: (fd) => lib.symbols.syncfs(fd),
      flock: (fd, operation) => lib.symbols.flock(fd, operation),
      copyFileRange: (fdIn, offsetIn, fdOut, offsetOut, length) => {
        const offsets = BigInt64Array.of(BigInt(offsetIn), BigInt(offsetOut));
        const at = ptr(offsets);
        return Number(lib.symbols.copy_file_range(fdIn, at, fdOut, at + 8, length, 0));
      },
      statx,
      errno: () => {
        const at = lib.symbols.__errno_location();
        return at === null ? 0 : read.i32(at, 0);
      },
    };
  } catch {
    loaded = null;
  }
  return loaded;
}

/** An Error for a failed libc `call` on `file`, with the errno name (e.g. "ENOSPC") as `code`. */
export function libcError(call: string, file: string, errno: number): Error & { code?: string } {
  const name = Object.entries(osConstants.errno).find(([, n]) => n === errno)?.[0];
  return Object.assign(new Error(`${call} failed on ${file} (${name ?? `errno ${errno}`})`), {
    code: name,
  });
}
