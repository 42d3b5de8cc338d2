import { expect, test } from "bun:test";
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MerkleHasher } from "../hash/index.ts";
import { hashOpenFile } from "./hash-open-file.ts";
import { tempRootEachTest } from "./test-support.ts";

const t = tempRootEachTest();

test.each([
  ["empty", 0],
  ["one byte", 1],
  ["small", 5000],
  ["big enough for worker threads", 64 * 1024 * 1024 + 3],
])("%s file: the same hash and leaves as hashing its bytes in memory", async (_, size) => {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 4099) data[i] = i & 0xff;
  await writeFile(join(t.dir, "f"), data);
  const handle = await open(join(t.dir, "f"), "r");
  try {
    const got = await hashOpenFile(handle, size, "f");
    const want = new MerkleHasher().update(data).digest();
    expect(got.hash.toHex()).toBe(want.hash.toHex());
    expect(got.size).toBe(size);
    expect(got.leaves.length).toBe(want.leaves.length);
  } finally {
    await handle.close();
  }
});
