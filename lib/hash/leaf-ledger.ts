import type { Blake2b } from "./blake2b.ts";
import { hashLeaf, LEAF_SIZE, startLeaf } from "./merkle.ts";

/** A leaf known from the bytes put there: its hash and how many bytes it held from its start. */
interface Known {
  hash: Uint8Array;
  length: number;
}

/** A leaf being filled by writes that follow each other (a stream of unaligned chunks). */
interface Open {
  index: number;
  fill: number;
  hasher: Blake2b;
}

/**
 * What a file's leaves hold, learnt from the bytes written into it, so that its Merkle root
 * can be computed at the end without reading the file back. Tell it every write (with the
 * bytes) and every resize in the order they take effect; it hashes each whole leaf a write
 * covers from the leaf's start, follows writes that continue one another across leaf
 * boundaries (as a delta rebuild writes), and forgets any leaf a write touches only in part
 * or a resize cuts. `leaf(i, size)` is then the hash of leaf i of a file of `size` bytes if
 * the ledger knows it, else undefined: the caller reads that leaf. What it knows is only
 * ever what was written, never what was meant to be written.
 */
export class LeafLedger {
  readonly #known = new Map<number, Known>();
  #open: Open | undefined;

  /** `data` is (being) written at `offset`; call before any later write or resize. */
  wrote(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    if (data.length === 0) return;
    let at = offset;
    const open = this.#open;
    if (open !== undefined && open.index * LEAF_SIZE + open.fill === offset) {
      const take = Math.min(LEAF_SIZE - open.fill, data.length);
      open.hasher.update(data.subarray(0, take));
      open.fill += take;
      this.#known.delete(open.index);
      at += take;
      if (open.fill === LEAF_SIZE) this.#closeOpen();
      if (at === end) return;
    }
    this.forget(at, end);
    let leaf = Math.ceil(at / LEAF_SIZE);
    for (; (leaf + 1) * LEAF_SIZE <= end; leaf++) {
      const from = leaf * LEAF_SIZE - offset;
      this.#known.set(leaf, {
        hash: hashLeaf(data.subarray(from, from + LEAF_SIZE)),
        length: LEAF_SIZE,
      });
    }
    const tail = leaf * LEAF_SIZE;
    if (tail < end) {
      this.#closeOpen();
      this.#open = { index: leaf, fill: end - tail, hasher: startLeaf() };
      this.#open.hasher.update(data.subarray(tail - offset));
    }
  }

  /** Records leaf `index` as holding `length` bytes with hash `hash` (verified by the caller). */
  set(index: number, hash: Uint8Array, length: number): void {
    if (this.#open?.index === index) this.#open = undefined;
    this.#known.set(index, { hash, length });
  }

  /** Forgets what it knows of every leaf that `[start, end)` touches (bytes changed there). */
  forget(start: number, end: number): void {
    if (end <= start) return;
    const first = Math.floor(start / LEAF_SIZE);
    const last = Math.ceil(end / LEAF_SIZE);
    if (this.#open !== undefined && this.#open.index >= first && this.#open.index < last) {
      this.#open = undefined;
    }
    if (last - first > this.#known.size) {
      for (const index of this.#known.keys())
        if (index >= first && index < last) this.#known.delete(index);
    } else {
      for (let i = first; i < last; i++) this.#known.delete(i);
    }
  }

  /** The file is cut or extended to `size` bytes: leaves cut short are forgotten. */
  resized(size: number): void {
    const leaf = Math.floor(size / LEAF_SIZE);
    this.forget((leaf + 1) * LEAF_SIZE, Number.MAX_SAFE_INTEGER);
    const known = this.#known.get(leaf);
    if (known !== undefined && leaf * LEAF_SIZE + known.length > size) this.#known.delete(leaf);
    const open = this.#open;
    if (open !== undefined && open.index * LEAF_SIZE + open.fill > size) this.#open = undefined;
  }

  /** Forgets everything (the file changed in ways not told). */
  clear(): void {
    this.#known.clear();
    this.#open = undefined;
  }

  /** The hash of leaf `index` of a file of `size` bytes, when the ledger knows it. */
  leaf(index: number, size: number): Uint8Array | undefined {
    const length = Math.max(0, Math.min(LEAF_SIZE, size - index * LEAF_SIZE));
    if (this.#open?.index === index && this.#open.fill === length) this.#closeOpen();
    const known = this.#known.get(index);
    return known !== undefined && known.length === length ? known.hash : undefined;
  }

  #closeOpen(): void {
    const open = this.#open;
    if (open === undefined) return;
    this.#open = undefined;
    this.#known.set(open.index, { hash: open.hasher.digest(), length: open.fill });
  }
}
