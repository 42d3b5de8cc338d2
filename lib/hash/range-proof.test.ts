import { describe, expect, test } from "bun:test";
import { decode, encode } from "cbor-x";
import fc from "fast-check";
import { Hash } from "../model/hash.ts";
import { LEAF_SIZE } from "./merkle.ts";
import { type FileHash, MerkleHasher } from "./merkle-hasher.ts";
import { MerkleTree } from "./merkle-tree.ts";
import { type RangeProof, rangeProof, verifyRange } from "./range-proof.ts";

const L = LEAF_SIZE;
const MAX_LEAVES = 9;
const pool = Uint8Array.from({ length: MAX_LEAVES * L }, (_, i) => (i * 7 + (i >>> 16)) % 256);

interface Case {
  name: string;
  data: Uint8Array;
  file: FileHash;
}

/** Files of 1..MAX_LEAVES leaves, the last leaf full or 100 bytes short. */
const cases: Case[] = [];
for (let n = 1; n <= MAX_LEAVES; n++) {
  for (const short of [0, 100]) {
    const data = pool.subarray(0, n * L - short);
    cases.push({ name: `${n} leaves, ${data.length} bytes`, data, file: hashOf(data) });
  }
}

function hashOf(data: Uint8Array): FileHash {
  return new MerkleHasher().update(data).digest();
}

/** Every leaf range [first, end) of a tree of n leaves. */
function ranges(n: number): [number, number][] {
  const all: [number, number][] = [];
  for (let first = 0; first < n; first++) {
    for (let end = first + 1; end <= n; end++) all.push([first, end]);
  }
  return all;
}

function slice(c: Case, first: number, end: number): Uint8Array {
  return c.data.subarray(first * L, Math.min(end * L, c.data.length));
}

function flipped(bytes: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at] = copy[at]! ^ mask;
  return copy;
}

function withNode(proof: RangeProof, i: number, node: Uint8Array): RangeProof {
  return { nodes: proof.nodes.map((old, j) => (j === i ? node : old)) };
}

describe("range proofs", () => {
  test.each(cases)("every leaf range of $name verifies alone", (c) => {
    const tree = new MerkleTree(c.file.leaves);
    for (const [first, end] of ranges(c.file.leaves.length)) {
      const proof = rangeProof(c.file.leaves, first, end);
      expect(proof).toEqual(tree.rangeProof(first, end));
      expect(proof.nodes.length).toBeLessThanOrEqual(
        2 * Math.ceil(Math.log2(c.file.leaves.length)),
      );
      expect(verifyRange(c.file.hash, c.file.size, first * L, slice(c, first, end), proof)).toBe(
        true,
      );
    }
  });

  test("the empty file verifies as one empty range at offset 0", () => {
    const empty = hashOf(new Uint8Array(0));
    const proof = rangeProof(empty.leaves, 0, 1);
    expect(proof.nodes).toEqual([]);
    expect(verifyRange(empty.hash, 0, 0, new Uint8Array(0), proof)).toBe(true);
    expect(verifyRange(empty.hash, 0, 0, new Uint8Array(1), proof)).toBe(false);
    expect(verifyRange(empty.hash, 1, 0, new Uint8Array(0), proof)).toBe(false);
  });

  test.each(cases.filter((c) => c.file.leaves.length <= 6))(
    "flipping the first, last or a middle byte of a range of $name is detected",
    (c) => {
      for (const [first, end] of ranges(c.file.leaves.length)) {
        const data = slice(c, first, end);
        const proof = rangeProof(c.file.leaves, first, end);
        for (const at of [0, data.length - 1, (first * 7919 + end * 104729) % data.length]) {
          expect(verifyRange(c.file.hash, c.file.size, first * L, flipped(data, at), proof)).toBe(
            false,
          );
        }
      }
    },
  );

  test.each(cases.filter((c) => c.file.leaves.length <= 8))(
    "flipping a byte of any proof node of any range of $name is detected",
    (c) => {
      for (const [first, end] of ranges(c.file.leaves.length)) {
        const data = slice(c, first, end);
        const proof = rangeProof(c.file.leaves, first, end);
        proof.nodes.forEach((node, i) => {
          const bad = withNode(proof, i, flipped(node, (first + end + i) % 32, 0x80));
          expect(verifyRange(c.file.hash, c.file.size, first * L, data, bad)).toBe(false);
        });
      }
    },
  );

  test("any change to any byte of data or proof, anywhere, is detected", () => {
    const big = cases.filter((c) => c.file.leaves.length >= 2);
    const pick = fc
      .record({
        c: fc.constantFrom(...big),
        a: fc.nat(),
        b: fc.nat(),
        inProof: fc.boolean(),
        where: fc.nat(),
        mask: fc.integer({ min: 1, max: 255 }),
      })
      .map(({ c, a, b, ...rest }) => {
        const n = c.file.leaves.length;
        const first = a % n;
        return { c, first, end: first + 1 + (b % (n - first)), ...rest };
      });
    fc.assert(
      fc.property(pick, ({ c, first, end, inProof, where, mask }) => {
        let data = slice(c, first, end);
        let proof = rangeProof(c.file.leaves, first, end);
        if (inProof && proof.nodes.length > 0) {
          const i = where % proof.nodes.length;
          proof = withNode(proof, i, flipped(proof.nodes[i]!, (where >>> 8) % 32, mask));
        } else {
          data = flipped(data, where % data.length, mask);
        }
        expect(verifyRange(c.file.hash, c.file.size, first * L, data, proof)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  test.each(cases)("a wrong offset or file size fails for every range of $name", (c) => {
    const { hash, size } = c.file;
    for (const [first, end] of ranges(c.file.leaves.length)) {
      const data = slice(c, first, end);
      const proof = rangeProof(c.file.leaves, first, end);
      const offset = first * L;
      for (const wrong of [offset - L, offset + L, offset + 1, offset + 2 * L]) {
        expect(verifyRange(hash, size, wrong, data, proof)).toBe(false);
      }
      for (const wrong of [size - 1, size + 1, size - L, size + L, size + 2 * L, size - 2 * L]) {
        expect(verifyRange(hash, wrong, offset, data, proof)).toBe(false);
      }
    }
  });

  test("a proof with a node missing, added, swapped or moved to another file fails", () => {
    const c = cases.find((x) => x.file.leaves.length === 7 && x.file.size % L !== 0)!;
    const other = cases.find((x) => x.file.leaves.length === 7 && x.file.size % L === 0)!;
    const data = slice(c, 2, 4);
    const proof = rangeProof(c.file.leaves, 2, 4);
    expect(proof.nodes.length).toBe(2);
    const [left, right] = proof.nodes as [Uint8Array, Uint8Array];
    for (const bad of [[left], [left, right, right], [right, left], []]) {
      expect(verifyRange(c.file.hash, c.file.size, 2 * L, data, { nodes: bad })).toBe(false);
    }
    expect(verifyRange(other.file.hash, c.file.size, 2 * L, data, proof)).toBe(false);
  });

  test("malformed input is false, never an exception", () => {
    const c = cases[4]!;
    const data = slice(c, 0, 1);
    const proof = rangeProof(c.file.leaves, 0, 1);
    const short = { nodes: [proof.nodes[0]!.subarray(0, 31)] };
    const notBytes = { nodes: ["x".repeat(32)] } as unknown as RangeProof;
    const noNodes = {} as RangeProof;
    expect(verifyRange(c.file.hash, c.file.size, 0, data, short)).toBe(false);
    expect(verifyRange(c.file.hash, c.file.size, 0, data, notBytes)).toBe(false);
    expect(verifyRange(c.file.hash, c.file.size, 0, data, noNodes)).toBe(false);
    for (const [size, offset] of [
      [Number.NaN, 0],
      [-1, 0],
      [c.file.size + 0.5, 0],
      [c.file.size, -L],
      [c.file.size, Number.POSITIVE_INFINITY],
    ] as const) {
      expect(verifyRange(c.file.hash, size, offset, data, proof)).toBe(false);
    }
    expect(verifyRange(c.file.hash, c.file.size, 0, new Uint8Array(0), proof)).toBe(false);
  });

  test("rangeProof refuses ranges outside the tree", () => {
    const leaves = cases[6]!.file.leaves;
    for (const [first, end] of [
      [-1, 1],
      [0, 0],
      [2, 1],
      [0, leaves.length + 1],
      [0.5, 1],
    ]) {
      expect(() => rangeProof(leaves, first!, end!)).toThrow(RangeError);
    }
    expect(() => new MerkleTree([])).toThrow(RangeError);
  });

  test("a proof crosses CBOR and still verifies", () => {
    const c = cases[13]!;
    const proof = rangeProof(c.file.leaves, 1, 3);
    const back = decode(encode(proof)) as RangeProof;
    const root = Hash.fromBytes(decode(encode(c.file.hash.bytes)) as Uint8Array);
    expect(verifyRange(root, c.file.size, L, slice(c, 1, 3), back)).toBe(true);
  });
});
