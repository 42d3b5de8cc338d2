import { readdir } from "node:fs/promises";
import { ioError } from "../model/errors.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The entries of one directory, split by whether their names are valid UTF-8. */
export interface DirNames {
  /** Names that decode as UTF-8 exactly, so they round-trip to the same bytes on disk. */
  names: string[];
  /** Names that are not UTF-8, shown with each bad byte as `\xNN` (for error messages). */
  undecodable: string[];
}

/**
 * Lists the directory at the absolute path `dir` by raw name bytes, so that a name which is
 * not valid UTF-8 is never silently turned into another name (Node's default decoding
 * replaces bad bytes with U+FFFD, and that name would not exist on disk). The names are
 * first read as text, which is cheaper: only when one holds a U+FFFD (which that decoding
 * puts in place of every bad sequence) is the directory read again as bytes to tell.
 */
export async function dirNames(dir: string): Promise<DirNames> {
  let texts: string[];
  try {
    texts = await readdir(dir);
  } catch (e) {
    throw ioError("list", dir, e);
  }
  if (!texts.some((name) => name.includes("\uFFFD"))) return { names: texts, undecodable: [] };
  let raw: Buffer[];
  try {
    raw = await readdir(dir, { encoding: "buffer" });
  } catch (e) {
    throw ioError("list", dir, e);
  }
  const names: string[] = [];
  const undecodable: string[] = [];
  for (const bytes of raw) {
    try {
      names.push(strictUtf8.decode(bytes));
    } catch {
      undecodable.push(showBytes(bytes));
    }
  }
  return { names, undecodable };
}

/** `bytes` as text, printable ASCII kept and every other byte written `\xNN`. */
export function showBytes(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x5c
        ? String.fromCharCode(b)
        : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}
