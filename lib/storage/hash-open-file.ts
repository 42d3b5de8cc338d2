import type { FileHandle } from "node:fs/promises";
import { type FileHash, hashFile, LEAF_SIZE, MerkleHasher } from "../hash/index.ts";
import { ioError } from "../model/errors.ts";

/** Files at least this big are hashed by hashFile's worker threads; smaller ones here. */
const WORKERS_FROM = 64 * 1024 * 1024;
/** Most bytes read per call when hashing here. */
const READ_BYTES = 16 * LEAF_SIZE;

/**
 * The FileHash of the first `size` bytes of an open file (opened by the caller without
 * following links). Small files are read straight into one buffer sized to them, which
 * costs about a fifth of hashFile's set-up for a file of a few KiB; big ones go to hashFile
 * through /proc/self/fd, which names exactly this open file, never a path that could have
 * been swapped for a link since.
 */
export async function hashOpenFile(
  handle: FileHandle,
  size: number,
  file: string,
): Promise<FileHash> {
  if (size >= WORKERS_FROM) return hashFile(`/proc/self/fd/${handle.fd}`);
  const hasher = new MerkleHasher();
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(size, READ_BYTES)));
  try {
    for (let at = 0; at < size; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - at), at);
      if (bytesRead === 0) break;
      hasher.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
  } catch (e) {
    throw ioError("read", file, e);
  }
  return hasher.digest();
}
