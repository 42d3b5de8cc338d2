import type { SplicedRanges } from "../../delta/spliced-ranges.ts";
import type { ArenaPath } from "../../model/arena-path.ts";
import type { RealRoot } from "../../storage/real-root.ts";

/** The bytes of `path` over the ranges of `splice`, laid end to end, as a stream of chunks. */
export async function* spliceChunks(
  root: RealRoot,
  path: ArenaPath,
  splice: SplicedRanges,
): AsyncGenerator<Uint8Array> {
  for (const piece of splice.all()) yield* root.readChunks(path, piece.fileOffset, piece.length);
}

/** Bytes `[offset, offset + length)` of the splice of `path` (exactly that many, or fewer at its end). */
export async function readSpliced(
  root: RealRoot,
  path: ArenaPath,
  splice: SplicedRanges,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const parts = await Promise.all(
    splice
      .pieces(offset, length)
      .map((piece) => root.readRange(path, piece.fileOffset, piece.length)),
  );
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
