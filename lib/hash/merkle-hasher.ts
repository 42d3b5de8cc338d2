import { Hash } from "../model/hash.ts";
import type { Blake2b } from "./blake2b.ts";
import { hashLeaf, LEAF_SIZE, sealRoot, startLeaf, treeTop } from "./merkle.ts";

/** A file's hash together with what range proofs need: its size and its leaf hashes. */
export interface FileHash {
  hash: Hash;
  size: number;
  leaves: Hash[];
}

/**
 * Hashes a file's content as it streams in, in chunks of any sizes, holding at most one
 * leaf hasher and the leaf hashes (32 bytes per LEAF_SIZE bytes), never the content.
 * Gives the same FileHash as hashing the whole content at once.
 */
export class MerkleHasher {
  readonly #leaves: Uint8Array[] = [];
  #leaf: Blake2b | undefined;
  #leafFill = 0;
  #size = 0;
  #done = false;

  /** Bytes taken so far. */
  get size(): number {
    return this.#size;
  }

  /** Adds the next bytes of the content; the chunk may be reused once this returns. */
  update(chunk: Uint8Array): this {
    if (this.#done) throw new Error("MerkleHasher.update after digest");
    let at = 0;
    while (at < chunk.length) {
      if (this.#leafFill === 0 && chunk.length - at >= LEAF_SIZE) {
        this.#leaves.push(hashLeaf(chunk.subarray(at, at + LEAF_SIZE)));
        at += LEAF_SIZE;
        continue;
      }
      const take = Math.min(LEAF_SIZE - this.#leafFill, chunk.length - at);
      this.#leaf ??= startLeaf();
      this.#leaf.update(chunk.subarray(at, at + take));
      this.#leafFill += take;
      at += take;
      if (this.#leafFill === LEAF_SIZE) this.#closeLeaf();
    }
    this.#size += chunk.length;
    return this;
  }

  /** The FileHash of everything given to update; the hasher is finished afterwards. */
  digest(): FileHash {
    if (this.#done) throw new Error("MerkleHasher.digest called twice");
    this.#done = true;
    if (this.#leaf !== undefined || this.#leaves.length === 0) this.#closeLeaf();
    const hash = Hash.fromBytes(sealRoot(treeTop(this.#leaves), this.#size));
    return { hash, size: this.#size, leaves: this.#leaves.map((leaf) => Hash.fromBytes(leaf)) };
  }

  #closeLeaf(): void {
    this.#leaves.push((this.#leaf ?? startLeaf()).digest());
    this.#leaf = undefined;
    this.#leafFill = 0;
  }
}
