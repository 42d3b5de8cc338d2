import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { LEAF_SIZE } from "./merkle.ts";
import { type FileHash, MerkleHasher } from "./merkle-hasher.ts";

const L = LEAF_SIZE;

function content(size: number, seed = 1): Uint8Array {
  const data = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  return data;
}

const summary = (f: FileHash) => ({
  hash: f.hash.toHex(),
  size: f.size,
  leaves: f.leaves.map((leaf) => leaf.toHex()),
});

/** Feeds `data` in chunks whose sizes (all ≥ 1) are taken in turn from `sizes`. */
function hashInChunks(data: Uint8Array, sizes: number[]): FileHash {
  const hasher = new MerkleHasher();
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length]!;
    hasher.update(data.subarray(at, at + size));
    at += size;
  }
  return hasher.digest();
}

describe("MerkleHasher", () => {
  const sizes = [0, 1, L - 1, L, L + 1, 2 * L, 7 * L + 3];
  const wholes = new Map(
    sizes.map((size) => [size, new MerkleHasher().update(content(size)).digest()]),
  );

  test.each(sizes)("a file of %i bytes has the size and leaf count it should", (size) => {
    const file = wholes.get(size)!;
    expect(file.size).toBe(size);
    expect(file.leaves.length).toBe(Math.max(1, Math.ceil(size / L)));
  });

  test("chunks of any sizes give the same hash, size and leaves as one update", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...sizes),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 3 * L })), {
          minLength: 1,
          maxLength: 8,
        }),
        (size, chunkSizes) => {
          const streamed = hashInChunks(content(size), chunkSizes);
          expect(summary(streamed)).toEqual(summary(wholes.get(size)!));
        },
      ),
      { numRuns: 60 },
    );
  });

  test("empty chunks change nothing", () => {
    const hasher = new MerkleHasher().update(new Uint8Array(0));
    hasher.update(content(L + 1)).update(new Uint8Array(0));
    expect(summary(hasher.digest())).toEqual(summary(wholes.get(L + 1)!));
  });

  test("a chunk reused by the caller after update does not change the leaves", () => {
    const data = content(L + 10);
    const hasher = new MerkleHasher();
    const chunk = new Uint8Array(10);
    for (let at = 0; at < data.length; at += 10) {
      const piece = data.subarray(at, at + 10);
      chunk.set(piece);
      hasher.update(chunk.subarray(0, piece.length));
      chunk.fill(0xff);
    }
    expect(summary(hasher.digest())).toEqual(summary(new MerkleHasher().update(data).digest()));
  });

  test("different content of the same size hashes differently", () => {
    const a = new MerkleHasher().update(content(3 * L, 1)).digest();
    const b = new MerkleHasher().update(content(3 * L, 2)).digest();
    expect(a.hash.toHex()).not.toBe(b.hash.toHex());
  });

  test("is finished by digest", () => {
    const hasher = new MerkleHasher().update(content(5));
    hasher.digest();
    expect(() => hasher.update(content(1))).toThrow();
    expect(() => hasher.digest()).toThrow();
  });
});
