import type { Blake2b } from "./blake2b.ts";
import { hashLeaf, LEAF_SIZE, startLeaf } from "./merkle.ts";

/** A leaf hash, or one being computed elsewhere. */
export type LeafHash = Uint8Array | Promise<Uint8Array>;

/** A leaf known from the bytes put there: its hash and how many bytes it held from its start. */
interface Known {
  hash: LeafHash;
  length: number;
}

/** How a LeafLedger hashes the whole leaves of big writes. */
export interface LeafLedgerOptions {
  /** Hashes consecutive leaves elsewhere (a worker); called for runs of `offloadFrom` leaves or more. */
  hashLeaves?: (data: Uint8Array) => Promise<Uint8Array[]>;
  offloadFrom?: number;
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
 * ever what was written, never what was meant to be written. With `hashLeaves`, the leaves
 * of big writes are hashed elsewhere and their hashes are promises until then.
 */
export class LeafLedger {
  readonly #known = new Map<number, Known>();
  #open: Open | undefined;
  readonly #hashLeaves: LeafLedgerOptions["hashLeaves"];
  readonly #offloadFrom: number;

  constructor(options: LeafLedgerOptions = {}) {
    this.#hashLeaves = options.hashLeaves;
    this.#offloadFrom = options.offloadFrom ?? 2;
  }

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
    const first = Math.ceil(at / LEAF_SIZE);
    const whole = Math.max(0, Math.floor(end / LEAF_SIZE) - first);
    const from = first * LEAF_SIZE - offset;
    if (this.#hashLeaves !== undefined && whole >= this.#offloadFrom) {
      const hashed = this.#hashLeaves(data.subarray(from, from + whole * LEAF_SIZE));
      for (let k = 0; k < whole; k++) {
        this.#known.set(first + k, { hash: hashed.then((h) => h[k]!), length: LEAF_SIZE });
      }
    } else {
      for (let k = 0; k < whole; k++) {
        const bytes = data.subarray(from + k * LEAF_SIZE, from + (k + 1) * LEAF_SIZE);
        this.#known.set(first + k, { hash: hashLeaf(bytes), length: LEAF_SIZE });
      }
    }
    const leaf = first + whole;
    const tail = leaf * LEAF_SIZE;
    if (tail < end) {
      this.#closeOpen();
      this.#open = { index: leaf, fill: end - tail, hasher: startLeaf() };
      this.#open.hasher.update(data.subarray(tail - offset));
    }
  }

  /** Records leaf `index` as holding `length` bytes with hash `hash` (verified by the caller). */
  set(index: number, hash: LeafHash, length: number): void {
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
  leaf(index: number, size: number): LeafHash | undefined {
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
