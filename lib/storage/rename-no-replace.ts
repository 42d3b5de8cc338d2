import { libcError } from "./libc.ts";

/** What renameNoReplace did: moved the file, found something at the new name, or cannot. */
export type NoReplaceOutcome = "renamed" | "exists" | "unsupported";

/**
 * Renames `from` to `to` only if nothing is at `to` (renameat2 with RENAME_NOREPLACE, one
 * atomic step: nothing that appears at `to` meanwhile is ever replaced). "exists" when
 * something is there (nothing moved), "unsupported" when this system or filesystem cannot
 * do it (nothing moved; rename another way). Other failures throw an Error whose `code` is
 * the errno name, as node:fs does.
 */
export type RenameNoReplace = (from: string, to: string) => NoReplaceOutcome;

const AT_FDCWD = -100;
const RENAME_NOREPLACE = 1;
const EEXIST = 17;
const ENOSYS = 38;
const EINVAL = 22;
/** Room for a path and its NUL (PATH_MAX); a longer one is encoded afresh. */
const PATH_BYTES = 4096;

let loaded: RenameNoReplace | null | undefined;

/** The blocking renameNoReplace of this system, or null off Linux or without renameat2. */
export async function renameNoReplace(): Promise<RenameNoReplace | null> {
  if (loaded !== undefined) return loaded;
  try {
    if (process.platform !== "linux") throw new Error("not linux");
    const { dlopen, FFIType, ptr, read } = await import("bun:ffi");
    const lib = dlopen("libc.so.6", {
      renameat2: {
        args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u32],
        returns: FFIType.i32,
      },
      __errno_location: { args: [], returns: FFIType.ptr },
    });
    const encoder = new TextEncoder();
    const scratch = [new Uint8Array(PATH_BYTES), new Uint8Array(PATH_BYTES)] as const;
    /** `text` NUL-terminated, in the i-th scratch buffer when it fits. */
    const cString = (text: string, i: 0 | 1) => {
      const { read, written } = encoder.encodeInto(text, scratch[i].subarray(0, PATH_BYTES - 1));
      if (read !== text.length) return Buffer.from(`${text}\0`);
      scratch[i][written] = 0;
      return scratch[i];
    };
    loaded = (from, to) => {
      if (from.includes("\0") || to.includes("\0")) return "unsupported";
      const a = cString(from, 0);
      const b = cString(to, 1);
      if (lib.symbols.renameat2(AT_FDCWD, ptr(a), AT_FDCWD, ptr(b), RENAME_NOREPLACE) === 0) {
        return "renamed";
      }
      const at = lib.symbols.__errno_location();
      const errno = at === null ? 0 : read.i32(at, 0);
      if (errno === EEXIST) return "exists";
      if (errno === EINVAL || errno === ENOSYS) return "unsupported";
      throw libcError("renameat2", to, errno);
    };
  } catch {
    loaded = null;
  }
  return loaded;
}
