import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { weakChecksum } from "./rolling-checksum.ts";
import { chooseBlockSize, computeSignature, SignatureBuilder } from "./signature.ts";
import { strongHash } from "./strong-hash.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function chunked(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((x, y) => x - y);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, data.length]) {
    chunks.push(data.subarray(from, p));
    from = p;
  }
  return chunks;
}

describe("chooseBlockSize", () => {
  test.each([
    [0, KiB],
    [1, KiB],
    [100 * KiB, KiB],
    [MiB, KiB],
    [4 * MiB, 2 * KiB],
    [256 * MiB, 16 * KiB],
    [GiB, 32 * KiB],
    [1024 * GiB, MiB],
    [2 ** 52, MiB],
  ])("for %p bytes is %p", (size, block) => {
    expect(chooseBlockSize(size)).toBe(block);
  });

  test.each([-1, 1.5, Number.NaN])("refuses size %p", (size) => {
    expect(() => chooseBlockSize(size)).toThrow(RangeError);
  });
});

describe("SignatureBuilder", () => {
  test("cuts blocks of blockSize with a short last one, each with weak and strong hash", () => {
    const data = Uint8Array.from({ length: 1300 }, (_, i) => (i * 7 + (i >> 9)) & 255);
    const sig = new SignatureBuilder(512).update(data).finish();
    expect(sig).toMatchObject({ blockSize: 512, fileSize: 1300, strongLength: 16 });
    expect(sig.blocks.map((b) => b.weak)).toEqual([
      weakChecksum(data, 0, 512),
      weakChecksum(data, 512, 512),
      weakChecksum(data, 1024, 276),
    ]);
    expect(sig.blocks[2]!.strong).toEqual(strongHash(data, 1024, 276, 16));
    expect(sig.blocks[0]!.strong).not.toEqual(sig.blocks[1]!.strong);
  });

  test("of empty content has no block", () => {
    expect(new SignatureBuilder(512).finish()).toEqual({
      blockSize: 512,
      fileSize: 0,
      strongLength: 16,
      blocks: [],
    });
  });

  test("keeps strongLength bytes of strong hash", () => {
    const sig = new SignatureBuilder(512, { strongLength: 8 }).update(new Uint8Array(600)).finish();
    expect(sig.blocks.map((b) => b.strong.length)).toEqual([8, 8]);
  });

  test.each([
    [511, 16],
    [2 ** 20 + 1, 16],
    [1000.5, 16],
    [512, 7],
    [512, 33],
  ])("refuses block size %p with strong length %p", (blockSize, strongLength) => {
    expect(() => new SignatureBuilder(blockSize, { strongLength })).toThrow(RangeError);
  });

  test("does not depend on how the content is chunked", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (data, cuts) => {
          const whole = await computeSignature([data], 512);
          const pieces = await computeSignature(chunked(data, cuts), 512);
          expect(pieces).toEqual(whole);
        },
      ),
    );
  });

  test("does not keep the caller's chunk", () => {
    const chunk = new Uint8Array(700).fill(1);
    const builder = new SignatureBuilder(512).update(chunk);
    chunk.fill(2);
    const sig = builder.finish();
    expect(sig.blocks[1]!.weak).toBe(weakChecksum(new Uint8Array(188).fill(1), 0, 188));
  });
});
