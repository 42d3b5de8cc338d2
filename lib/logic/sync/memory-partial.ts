import { DeltaPatcher } from "../../delta/patch.ts";
import type { SplicedRanges } from "../../delta/spliced-ranges.ts";
import { hashBytes, LEAF_SIZE, MerkleHasher } from "../../hash/index.ts";
import { ByteRange } from "../../model/byte-range.ts";
import { ByteRanges } from "../../model/byte-ranges.ts";
import { RealizeError } from "../../model/errors.ts";
import type { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";

/** The hash of the leaf of `data` that covers `range` (a whole leaf, or the last one). */
function leafHash(data: Uint8Array, range: ByteRange): Hash {
  return new MerkleHasher().update(data.subarray(range.start, range.end)).digest().leaves[0]!;
}

function leafRange(index: number, size: number): ByteRange {
  return new ByteRange(index * LEAF_SIZE, Math.min(size, (index + 1) * LEAF_SIZE));
}

/**
 * The in-memory partial of one incoming file (MemoryTree's `.NAME.realize-partial`): the
 * bytes received so far and which ranges they cover. It outlives its reception when kept,
 * so a later `begin` resumes from whatever of it still verifies, leaf by leaf.
 */
export class MemoryPartial {
  private constructor(
    readonly data: Uint8Array,
    public have: ByteRanges,
  ) {}

  /**
   * A partial for `size` bytes with the given leaf hashes, filled with every leaf that an
   * earlier partial or the base file (the current content at the path) already holds.
   */
  static open(
    size: number,
    leaves: readonly Hash[],
    earlier: MemoryPartial | undefined,
    base: Uint8Array | undefined,
  ): MemoryPartial {
    const partial = new MemoryPartial(new Uint8Array(size), ByteRanges.empty());
    for (let i = 0; i < leaves.length; i++) {
      const range = leafRange(i, size);
      if (range.isEmpty) continue;
      const from = [earlier?.have.containsRange(range) ? earlier.data : undefined, base].find(
        (d) => d !== undefined && d.length >= range.end && leafHash(d, range).equals(leaves[i]!),
      );
      if (from) partial.put(range.start, from.subarray(range.start, range.end));
    }
    return partial;
  }

  /** The ranges still missing. */
  need(): ByteRanges {
    return this.have.complementWithin(new ByteRange(0, this.data.length));
  }

  /** Stores bytes at `offset`; refuses bytes past the end of the file. */
  put(offset: number, bytes: Uint8Array): void {
    if (offset + bytes.length > this.data.length) {
      throw new RealizeError("protocol", `a write past the end of a ${this.data.length}-byte file`);
    }
    this.data.set(bytes, offset);
    this.have = this.have.union(ByteRanges.of(ByteRange.withLength(offset, bytes.length)));
  }

  /**
   * A patcher that rebuilds the whole partial from `base` (cut in `blockSize` blocks), or
   * with `output`, just those ranges of it (laid end to end, as the delta sees them).
   */
  patcher(base: Uint8Array, blockSize: number, output?: SplicedRanges): DeltaPatcher {
    if (output === undefined) this.have = ByteRanges.empty();
    return new DeltaPatcher(
      { blockSize, fileSize: base.length },
      (offset, length) => base.subarray(offset, offset + length),
      (offset, bytes) => {
        if (output === undefined) return this.put(offset, bytes);
        for (const p of output.pieces(offset, bytes.length)) {
          this.put(p.fileOffset, bytes.subarray(p.offset - offset, p.offset - offset + p.length));
        }
      },
      { expectedSize: output === undefined ? this.data.length : output.length },
    );
  }

  /**
   * True when the partial is complete and holds exactly `entry`'s content. When not, only
   * the leaves that verify are kept as held, for a later resume.
   */
  verify(entry: TreeEntry, leaves: readonly Hash[]): boolean {
    const whole = this.have.containsRange(new ByteRange(0, this.data.length));
    if (whole && entry.hash !== undefined && hashBytes(this.data).equals(entry.hash)) return true;
    const good = leaves
      .map((leaf, i) => ({ leaf, range: leafRange(i, this.data.length) }))
      .filter(
        ({ leaf, range }) =>
          this.have.containsRange(range) && leafHash(this.data, range).equals(leaf),
      );
    this.have = ByteRanges.of(...good.map((g) => g.range));
    return false;
  }
}
