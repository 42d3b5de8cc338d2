import { describe, expect, test } from "bun:test";
import { Hash } from "../model/hash.ts";
import { blake2b } from "./blake2b.ts";
import { hashBytes } from "./hash-bytes.ts";
import { hashLeaf, hashNode, LEAF_SIZE, leafCount, merkleRoot, sealRoot } from "./merkle.ts";
import { MerkleHasher } from "./merkle-hasher.ts";

const L = LEAF_SIZE;
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** Content that differs from leaf to leaf, so a swapped or dropped leaf changes the hash. */
function content(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => i % 251);
}

/** RFC 6962's recursive definition of the tree top, written independently of merkle.ts. */
function rfc6962Top(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashNode(rfc6962Top(leaves.slice(0, k)), rfc6962Top(leaves.slice(k)));
}

describe("merkle", () => {
  // Computed outside realize with another BLAKE2b-256 (Python's hashlib.blake2b with
  // digest_size=32) following the construction in merkle.ts: leaf = H(0x00 ‖ bytes),
  // node = H(0x01 ‖ left ‖ right), hash = H(0x02 ‖ u64le(size) ‖ top).
  test.each([
    [
      "the empty file",
      new Uint8Array(0),
      "0e8a5e94274e52c2b0de7abf1d6864fd39978577980e136ad90b9616d34d1a3e",
    ],
    [
      '"abc"',
      new TextEncoder().encode("abc"),
      "8214a26538527d80eb032366b094a47d46122ccfb09c57e8d76843b07183fd14",
    ],
    [
      "one full leaf of zeros",
      new Uint8Array(L),
      "6c9aec2e908e5e32edb5080e6115e3239726e4d92a3d4174354a043e79e9ebea",
    ],
    [
      "a leaf and one zero",
      new Uint8Array(L + 1),
      "ec98bf081434d5e1b877da1d6ea45e2d9fa26d396b40cb22c11676b3115949b3",
    ],
    [
      "three leaves of 'a', the last one byte",
      new Uint8Array(2 * L + 1).fill(0x61),
      "8369b190a13c3b7b8e761f82aaa0484c2aeb4a55e232e6d4e0d08b6a2054ba94",
    ],
    [
      "six leaves of i mod 251",
      content(5 * L + 7),
      "477ecd5f51eb870bc0f1b75180b455835e1621fb18534b00be28132056a4d3ef",
    ],
  ])("the hash of %s is the known vector", (_name, data, hex) => {
    expect(hashBytes(data).toHex()).toBe(hex);
  });

  test.each([
    [0, 1],
    [1, 1],
    [L - 1, 1],
    [L, 1],
    [L + 1, 2],
    [3 * L, 3],
    [3 * L + 1, 4],
  ])("a file of %i bytes has %i leaves", (size, count) => {
    expect(leafCount(size)).toBe(count);
  });

  test("the tree has RFC 6962's shape for every leaf count up to 40", () => {
    for (let n = 1; n <= 40; n++) {
      const leaves = Array.from({ length: n }, (_, i) => hashLeaf(Uint8Array.of(i)));
      const size = (n - 1) * L + 1;
      const expected = sealRoot(rfc6962Top(leaves), size);
      expect(merkleRoot(leaves.map(Hash.fromBytes), size).bytes).toEqual(expected);
    }
  });

  test("merkleRoot of the leaves of a file is the file's hash", () => {
    for (const size of [0, 1, L, 2 * L + 5, 9 * L]) {
      const file = new MerkleHasher().update(content(size)).digest();
      expect(merkleRoot(file.leaves, size).toHex()).toBe(file.hash.toHex());
    }
  });

  test("merkleRoot refuses a leaf count that does not fit the size", () => {
    const leaf = Hash.fromBytes(hashLeaf(new Uint8Array(0)));
    expect(() => merkleRoot([leaf, leaf], L)).toThrow(RangeError);
    expect(() => merkleRoot([], 0)).toThrow(RangeError);
    expect(() => merkleRoot([leaf], -1)).toThrow(RangeError);
  });

  test("leaves, inner nodes and roots are hashed apart", () => {
    const a = hashLeaf(Uint8Array.of(1));
    const b = hashLeaf(Uint8Array.of(2));
    expect(hashLeaf(concat(a, b))).not.toEqual(hashNode(a, b));
    expect(hashNode(a, b)).not.toEqual(blake2b(concat(a, b)));
    expect(hashBytes(Uint8Array.of(1)).bytes).not.toEqual(a);
  });

  test("the size is part of the hash: zero bytes differ from one zero byte", () => {
    expect(hashBytes(new Uint8Array(0)).toHex()).not.toBe(hashBytes(new Uint8Array(1)).toHex());
  });

  test("swapping two leaves changes the hash", () => {
    const data = content(2 * L);
    const swapped = concat(data.subarray(L), data.subarray(0, L));
    expect(hashBytes(swapped).toHex()).not.toBe(hashBytes(data).toHex());
  });
});
