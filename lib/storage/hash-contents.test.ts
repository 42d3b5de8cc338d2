import { expect, test } from "bun:test";
import fc from "fast-check";
import { noise } from "../../fixtures/noise.ts";
import { LEAF_SIZE, MerkleHasher } from "../hash/index.ts";
import { hashContents } from "./hash-contents.ts";

const direct = (data: Uint8Array) => new MerkleHasher().update(data).digest();

test("gives MerkleHasher's FileHash for each content, in order, whatever the sizes", async () => {
  const sizes = [0, 1, 4096, LEAF_SIZE - 1, LEAF_SIZE, LEAF_SIZE + 1, 3 * LEAF_SIZE + 7, 0];
  const contents = sizes.map((size, i) => noise(size, i + 1));
  expect(await hashContents(contents)).toEqual(contents.map(direct));
});

test("hashes only each view's own bytes, and a content may change once the call returns", async () => {
  const backing = noise(10_000, 9);
  const views = [backing.subarray(10, 20), backing.subarray(5000, 9000)];
  const expected = views.map(direct);
  const pending = hashContents(views);
  backing.fill(0);
  expect(await pending).toEqual(expected);
});

test("nothing to hash gives nothing", async () => {
  expect(await hashContents([])).toEqual([]);
});

test("batches hashed side by side each get their own answers", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 }), { maxLength: 4 }),
      async (batches) => {
        const answers = await Promise.all(batches.map((b) => hashContents(b)));
        expect(answers).toEqual(batches.map((b) => b.map(direct)));
      },
    ),
    { numRuns: 30 },
  );
});
