import type { Hash } from "../model/hash.ts";
import { parentLevel } from "./merkle.ts";
import type { RangeProof } from "./range-proof.ts";

/**
 * Every level of a file's Merkle tree, kept so that range proofs cost O(log n) each: a peer
 * serving many reads of one blob builds this once instead of calling rangeProof per read.
 */
export class MerkleTree {
  readonly #levels: Uint8Array[][];

  /** Builds all levels above `leaves` (at least one; the empty file has one empty leaf). */
  constructor(leaves: readonly Hash[]) {
    if (leaves.length === 0) throw new RangeError("a Merkle tree has at least one leaf");
    const levels = [leaves.map((leaf) => leaf.bytes)];
    let level = levels[0]!;
    while (level.length > 1) {
      level = parentLevel(level);
      levels.push(level);
    }
    this.#levels = levels;
  }

  /** Number of leaves. */
  get leafCount(): number {
    return this.#levels[0]!.length;
  }

  /** The top node, before the file size is sealed into it (see sealRoot). */
  get top(): Uint8Array {
    return this.#levels[this.#levels.length - 1]![0]!;
  }

  /**
   * The proof for leaves `[firstLeaf, endLeaf)`: from the bottom level up, the left
   * neighbour of the range if it has one, then the right neighbour if it has one. Throws
   * RangeError unless `0 ≤ firstLeaf < endLeaf ≤ leafCount`.
   */
  rangeProof(firstLeaf: number, endLeaf: number): RangeProof {
    const n = this.leafCount;
    if (!Number.isSafeInteger(firstLeaf) || !Number.isSafeInteger(endLeaf)) {
      throw new RangeError(`leaf indices are whole numbers, not ${firstLeaf}..${endLeaf}`);
    }
    if (firstLeaf < 0 || endLeaf <= firstLeaf || endLeaf > n) {
      throw new RangeError(`no leaf range ${firstLeaf}..${endLeaf} in a tree of ${n} leaves`);
    }
    const nodes: Uint8Array[] = [];
    let first = firstLeaf;
    let end = endLeaf;
    for (const level of this.#levels) {
      if (level.length === 1) break;
      if (first % 2 === 1) nodes.push(Uint8Array.from(level[first - 1]!));
      if (end % 2 === 1 && end < level.length) nodes.push(Uint8Array.from(level[end]!));
      first = Math.floor(first / 2);
      end = Math.ceil(end / 2);
    }
    return { nodes };
  }
}
