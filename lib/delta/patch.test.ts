import { describe, expect, test } from "bun:test";
import { MAX_LITERAL } from "./delta-op.ts";
import { applyDelta, DeltaPatcher } from "./patch.ts";

const base = Uint8Array.from({ length: 2500 }, (_, i) => (i * 31 + (i >> 8)) & 255);
const geometry = { blockSize: 1000, fileSize: base.length };
const read = (offset: number, length: number) => base.subarray(offset, offset + length);

async function run(ops: unknown[], options = {}) {
  const writes: [number, number][] = [];
  const parts: Uint8Array[] = [];
  const size = await applyDelta(
    geometry,
    ops,
    read,
    (offset, data) => {
      writes.push([offset, data.length]);
      parts.push(data.slice());
    },
    options,
  );
  return { size, writes, data: new Uint8Array(Buffer.concat(parts)) };
}

const protocol = expect.objectContaining({ code: "protocol" });

describe("applyDelta", () => {
  test("copies blocks (the last one short) and writes literals in order", async () => {
    const literal = Uint8Array.of(1, 2, 3);
    const { size, data, writes } = await run([
      { op: "copy", block: 2 },
      { op: "literal", data: literal },
      { op: "copy", block: 0, count: 2 },
    ]);
    expect(size).toBe(500 + 3 + 2000);
    expect(data).toEqual(
      new Uint8Array(Buffer.concat([base.subarray(2000), literal, base.subarray(0, 2000)])),
    );
    expect(writes).toEqual([
      [0, 500],
      [500, 3],
      [503, 2000],
    ]);
  });

  test.each([
    ["not a record", 7],
    ["null", null],
    ["an unknown op", { op: "move", block: 0 }],
    ["a negative block", { op: "copy", block: -1 }],
    ["a block past the base", { op: "copy", block: 3 }],
    ["a fractional block", { op: "copy", block: 0.5 }],
    ["a block given as text", { op: "copy", block: "0" }],
    ["a count of zero", { op: "copy", block: 0, count: 0 }],
    ["a run past the base", { op: "copy", block: 1, count: 3 }],
    ["an empty literal", { op: "literal", data: new Uint8Array(0) }],
    ["an oversized literal", { op: "literal", data: new Uint8Array(MAX_LITERAL + 1) }],
    ["a literal that is not bytes", { op: "literal", data: [1, 2, 3] }],
  ])("refuses %s before writing it", async (_name, op) => {
    const writes: number[] = [];
    const ops = [{ op: "copy", block: 0 }, op];
    await expect(
      applyDelta(geometry, ops, read, (offset) => {
        writes.push(offset);
      }),
    ).rejects.toEqual(protocol);
    expect(writes).toEqual([0]);
  });

  test("refuses a delta growing past the announced size, before writing it", async () => {
    const writes: number[] = [];
    const patcher = new DeltaPatcher(geometry, read, (o) => void writes.push(o), {
      expectedSize: 1500,
    });
    await patcher.apply({ op: "copy", block: 0 });
    await expect(patcher.apply({ op: "copy", block: 1 })).rejects.toEqual(protocol);
    expect(writes).toEqual([0]);
  });

  test("refuses a delta shorter than the announced size", async () => {
    await expect(run([{ op: "copy", block: 0 }], { expectedSize: 1001 })).rejects.toEqual(protocol);
    expect((await run([{ op: "copy", block: 0 }], { expectedSize: 1000 })).size).toBe(1000);
  });

  test("reports a base that shrank under it as an io error", async () => {
    const shrunk = (offset: number, length: number) =>
      base.subarray(offset, Math.min(offset + length, 2100));
    await expect(
      applyDelta(geometry, [{ op: "copy", block: 2 }], shrunk, () => {}),
    ).rejects.toEqual(expect.objectContaining({ code: "io" }));
  });

  test("reads a long run of blocks in bounded pieces", async () => {
    const big = { blockSize: 1 << 20, fileSize: 10 << 20 };
    const reads: number[] = [];
    const patcher = new DeltaPatcher(
      big,
      (_offset, length) => {
        reads.push(length);
        return new Uint8Array(length);
      },
      () => {},
    );
    await patcher.apply({ op: "copy", block: 0, count: 10 });
    expect(patcher.finish()).toBe(10 << 20);
    expect(Math.max(...reads)).toBeLessThanOrEqual(4 << 20);
    expect(reads.reduce((a, b) => a + b)).toBe(10 << 20);
  });

  test.each([
    { blockSize: 0, fileSize: 10 },
    { blockSize: 512, fileSize: -1 },
    { blockSize: 1.5, fileSize: 10 },
  ])("refuses the base geometry %p", (bad) => {
    expect(() => new DeltaPatcher(bad, read, () => {})).toThrow(RangeError);
  });

  test("an empty delta over an empty base gives empty content", async () => {
    const size = await applyDelta({ blockSize: 512, fileSize: 0 }, [], read, () => {});
    expect(size).toBe(0);
  });
});
