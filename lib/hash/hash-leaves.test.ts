import { expect, test } from "bun:test";
import { hashLeaves } from "./hash-leaves.ts";
import { hashLeaf, LEAF_SIZE } from "./merkle.ts";

test("hashLeaves gives each leaf's hash, from the bytes as they were at the call", async () => {
  const backing = new Uint8Array(4 * LEAF_SIZE).map((_, i) => (i * 13) & 0xff);
  const data = backing.subarray(LEAF_SIZE / 2, LEAF_SIZE / 2 + 2 * LEAF_SIZE + 100);
  const want = [0, 1, 2].map((i) =>
    hashLeaf(Uint8Array.from(data.subarray(i * LEAF_SIZE, (i + 1) * LEAF_SIZE))),
  );
  const pending = hashLeaves(data);
  data.fill(0);
  expect(await pending).toEqual(want);
});

test("a Buffer view passed in stays usable (its memory is copied, never handed over)", async () => {
  const frame = Buffer.alloc(3 * LEAF_SIZE, 7);
  const view = frame.subarray(LEAF_SIZE, 3 * LEAF_SIZE);
  await hashLeaves(view);
  expect(frame.readUInt8(0)).toBe(7);
  expect(view.length).toBe(2 * LEAF_SIZE);
});
