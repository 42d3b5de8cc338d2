import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { RealizeError } from "../model/errors.ts";
import { hashBytes } from "./hash-bytes.ts";
import { hashFile } from "./hash-file.ts";
import { hashFileSlice, SLICE_ALIGN, unpack } from "./hash-file-slice.ts";
import { LEAF_SIZE } from "./merkle.ts";
import { type FileHash, MerkleHasher } from "./merkle-hasher.ts";

const L = LEAF_SIZE;
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "realize-hash-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function content(size: number, seed: number): Uint8Array {
  const data = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    data[i] = x >>> 24;
  }
  return data;
}

function fileWith(name: string, data: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

const summary = (f: FileHash) => ({
  hash: f.hash.toHex(),
  size: f.size,
  leaves: f.leaves.map((leaf) => leaf.toHex()),
});

describe("hashFile", () => {
  test.each([0, 1, L - 1, L, L + 1, 2 * L, 5 * L + 7, 40 * L + 3])(
    "a file of %i bytes hashes like its bytes",
    async (size) => {
      const data = content(size, size);
      const file = await hashFile(fileWith(`f${size}`, data), { threads: 1 });
      expect(summary(file)).toEqual(summary(new MerkleHasher().update(data).digest()));
      expect(file.hash.toHex()).toBe(hashBytes(data).toHex());
    },
  );

  test.each([
    [16 * L + 1, 2],
    [32 * L, 2],
    [33 * L + 5, 2],
    [49 * L + 9, 3],
    [64 * L, 4],
    [40 * L + 1, 8],
  ])(
    "a file of %i bytes split across up to %i workers hashes like one thread",
    async (size, threads) => {
      const path = fileWith(`p${size}-${threads}`, content(size, threads));
      const single = await hashFile(path, { threads: 1 });
      const parallel = await hashFile(path, { threads, parallelFrom: 0 });
      expect(summary(parallel)).toEqual(summary(single));
    },
  );

  test("any content up to 40 leaves hashes the same from a file, from workers and from memory", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 * L + 2 }), fc.nat(), async (size, seed) => {
        const data = content(size, seed);
        const path = fileWith("prop", data);
        const expected = hashBytes(data).toHex();
        expect((await hashFile(path, { threads: 1 })).hash.toHex()).toBe(expected);
        expect((await hashFile(path, { threads: 2, parallelFrom: 0 })).hash.toHex()).toBe(expected);
      }),
      { numRuns: 15 },
    );
  });

  test("a slice gives exactly the leaves of its bytes and the nodes 4 levels above", () => {
    const data = content(3 * SLICE_ALIGN * L + 11, 3);
    const path = fileWith("slice", data);
    const leaves = new MerkleHasher()
      .update(data)
      .digest()
      .leaves.map((leaf) => leaf.toHex());
    const hex = (packed: Uint8Array) => unpack(packed).map((h) => Buffer.from(h).toString("hex"));
    const tail = hashFileSlice(path, SLICE_ALIGN * L, data.length);
    expect(hex(tail.leaves)).toEqual(leaves.slice(SLICE_ALIGN));
    expect(hex(tail.tops).length).toBe(3);
    const whole = hashFileSlice(path, 0, data.length);
    expect(hex(whole.tops).slice(1)).toEqual(hex(tail.tops));
    expect(() => hashFileSlice(path, 0, data.length + L)).toThrow(/ended at byte/);
  });

  test("a missing file is a not_found error naming it", async () => {
    const path = join(dir, "missing");
    for (const threads of [1, 2]) {
      const error = await hashFile(path, { threads, parallelFrom: 0 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RealizeError);
      expect((error as RealizeError).code).toBe("not_found");
      expect((error as RealizeError).data.file).toBe(path);
    }
  });

  test("a directory is an io error naming it", async () => {
    const error = await hashFile(dir, { threads: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RealizeError);
    expect((error as RealizeError).data.file).toBe(dir);
  });
});
