import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { noise } from "../../fixtures/noise.ts";
import { DeltaEncoder, encodeDelta } from "./delta.ts";
import { type DeltaOp, MAX_LITERAL } from "./delta-op.ts";
import { applyDelta } from "./patch.ts";
import { computeSignature, type Signature, SignatureBuilder } from "./signature.ts";

const BS = 512;

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

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

function encode(sig: Signature, chunks: Uint8Array[]) {
  const encoder = new DeltaEncoder(sig);
  const ops = chunks.flatMap((c) => encoder.update(c));
  ops.push(...encoder.finish());
  return { ops, literalBytes: encoder.literalBytes, copiedBytes: encoder.copiedBytes };
}

async function patch(base: Uint8Array, sig: Signature, ops: DeltaOp[]): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  let size = 0;
  await applyDelta(
    sig,
    ops,
    (offset, length) => base.subarray(offset, offset + length),
    (offset, data) => {
      expect(offset).toBe(size);
      out.push(data.slice());
      size += data.length;
    },
  );
  return concat(...out);
}

async function roundTrip(base: Uint8Array, next: Uint8Array, blockSize = BS, cuts: number[] = []) {
  const sig = new SignatureBuilder(blockSize).update(base).finish();
  const result = encode(sig, chunked(next, cuts));
  const rebuilt = await patch(base, sig, result.ops);
  return { ...result, rebuilt };
}

const literalOf = (ops: DeltaOp[]) =>
  ops.reduce((n, op) => n + (op.op === "literal" ? op.data.length : 0), 0);

const base = noise(5000, 7);
const cases: [string, Uint8Array, Uint8Array][] = [
  ["identical", base, base],
  ["both empty", new Uint8Array(0), new Uint8Array(0)],
  ["base empty", new Uint8Array(0), noise(1500, 3)],
  ["new empty", base, new Uint8Array(0)],
  ["in-place change", base, concat(base.subarray(0, 2000), noise(100, 9), base.subarray(2100))],
  ["insertion", base, concat(base.subarray(0, 1234), noise(77, 9), base.subarray(1234))],
  ["deletion", base, concat(base.subarray(0, 1234), base.subarray(1900))],
  ["append", base, concat(base, noise(300, 9))],
  ["prepend", base, concat(noise(300, 9), base)],
  ["truncation", base, base.subarray(0, 3333)],
  ["cut at a block edge", base, base.subarray(0, 4096)],
  ["blocks reordered", base, concat(base.subarray(2048, 4096), base.subarray(0, 2048))],
  ["base shorter than a block", base.subarray(0, 300), concat(base.subarray(0, 300), noise(10, 2))],
  ["repeated content", new Uint8Array(4000), new Uint8Array(6000)],
  ["unrelated", base, noise(5000, 99)],
];

describe("DeltaEncoder with applyDelta", () => {
  test.each(cases)("rebuilds the new content: %s", async (_name, from, to) => {
    const { rebuilt } = await roundTrip(from, to);
    expect(rebuilt).toEqual(to);
  });

  test("sends identical content as one copy and no literal", async () => {
    const { ops, literalBytes, copiedBytes } = await roundTrip(base, base);
    expect(ops).toEqual([{ op: "copy", block: 0, count: 10 }]);
    expect(literalBytes).toBe(0);
    expect(copiedBytes).toBe(base.length);
  });

  test("copies the short last block after an append and after a prepend", async () => {
    expect((await roundTrip(base, concat(base, noise(300, 9)))).literalBytes).toBe(300);
    expect((await roundTrip(base, concat(noise(300, 9), base))).literalBytes).toBe(300);
  });

  test("finds the short last block at the end after a change just before it", async () => {
    const to = concat(base.subarray(0, 4400), noise(100, 9), base.subarray(4500));
    const { literalBytes, rebuilt } = await roundTrip(base, to);
    expect(rebuilt).toEqual(to);
    expect(literalBytes).toBe(512);
  });

  test("keeps searching after a weak match whose strong hash differs", async () => {
    const block = noise(BS, 21);
    block.set([100, 100, 100], 10);
    const lookalike = block.slice();
    lookalike.set([101, 98, 101], 10);
    const from = concat(noise(BS, 22), block);
    const to = concat(lookalike, noise(7, 23), block);
    const sig = new SignatureBuilder(BS).update(from).finish();
    expect(sig.blocks[1]!.weak).toBe(
      new SignatureBuilder(BS).update(lookalike).finish().blocks[0]!.weak,
    );
    const { ops, rebuilt } = await roundTrip(from, to);
    expect(rebuilt).toEqual(to);
    expect(ops.map((op) => (op.op === "literal" ? op.data.length : op))).toEqual([
      BS + 7,
      { op: "copy", block: 1 },
    ]);
  });

  test("coalesces repeated blocks into runs", async () => {
    const { ops, literalBytes } = await roundTrip(new Uint8Array(4096), new Uint8Array(8192));
    expect(literalBytes).toBe(0);
    expect(ops.length).toBeLessThanOrEqual(3);
  });

  test("an insertion of k bytes near the start of 4 MiB costs at most k + 2 blocks", async () => {
    const from = noise(4 << 20, 11);
    const blockSize = 2048;
    for (const [at, k] of [
      [100, 1],
      [5000, 333],
      [70_000, 4096],
    ] as const) {
      const to = concat(from.subarray(0, at), noise(k, at), from.subarray(at));
      const { rebuilt, literalBytes } = await roundTrip(from, to, blockSize);
      expect(rebuilt).toEqual(to);
      expect(literalBytes).toBeLessThanOrEqual(k + 2 * blockSize);
    }
  });

  test("splits literals into ops of at most MAX_LITERAL bytes", async () => {
    const to = noise(MAX_LITERAL * 2 + 1000, 5);
    const { ops, rebuilt } = await roundTrip(base, to);
    expect(rebuilt).toEqual(to);
    expect(ops.map((op) => (op.op === "literal" ? op.data.length : -1))).toEqual([
      MAX_LITERAL,
      MAX_LITERAL,
      1000,
    ]);
  });

  test("survives a hostile signature whose blocks share one weak checksum", async () => {
    const honest = new SignatureBuilder(BS).update(base).finish();
    const hostile = { ...honest, blocks: honest.blocks.map((b) => ({ ...b, weak: 42 })) };
    const to = noise(20_000, 4);
    const { ops } = encode(hostile, [to]);
    expect(await patch(base, hostile, ops)).toEqual(to);
  });

  test("refuses a malformed signature with a protocol error", () => {
    const sig = new SignatureBuilder(BS).update(base).finish();
    expect(() => new DeltaEncoder({ ...sig, fileSize: 1 })).toThrow(
      expect.objectContaining({ code: "protocol" }),
    );
  });

  test("gives the same ops whatever the chunking", () => {
    const sig = new SignatureBuilder(BS).update(base).finish();
    const to = concat(base.subarray(0, 1500), noise(900, 1), base.subarray(1300), noise(50, 2));
    const whole = encode(sig, [to]).ops;
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), (cuts) => {
        expect(encode(sig, chunked(to, cuts)).ops).toEqual(whole);
      }),
    );
  });

  test("encodeDelta streams the same ops from an async source", async () => {
    const sig = await computeSignature([base], BS);
    const to = concat(base.subarray(0, 3000), noise(10, 1), base.subarray(3000));
    async function* source() {
      yield to.subarray(0, 100);
      yield to.subarray(100);
    }
    const streamed: DeltaOp[] = [];
    for await (const op of encodeDelta(sig, source())) streamed.push(op);
    expect(streamed).toEqual(encode(sig, [to]).ops);
  });
});

const edit = fc.oneof(
  fc.record({
    kind: fc.constant("replace"),
    at: fc.nat(),
    data: fc.uint8Array({ maxLength: 700 }),
  }),
  fc.record({ kind: fc.constant("insert"), at: fc.nat(), data: fc.uint8Array({ maxLength: 700 }) }),
  fc.record({ kind: fc.constant("delete"), at: fc.nat(), length: fc.nat(1500) }),
  fc.record({ kind: fc.constant("truncate"), at: fc.nat() }),
);
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function applyEdits(from: Uint8Array, edits: Edit[]): Uint8Array {
  let data = from;
  for (const e of edits) {
    const at = e.at % (data.length + 1);
    if (e.kind === "replace") {
      data = concat(data.subarray(0, at), e.data, data.subarray(at + e.data.length));
    } else if (e.kind === "insert") {
      data = concat(data.subarray(0, at), e.data, data.subarray(at));
    } else if (e.kind === "delete") {
      data = concat(data.subarray(0, at), data.subarray(at + e.length));
    } else {
      data = data.subarray(0, at);
    }
  }
  return data;
}

const content = fc.oneof(
  fc.uint8Array({ maxLength: 6000 }),
  fc.nat({ max: 6000 }).chain((n) => fc.constant(noise(n, n + 1))),
  fc.array(fc.constantFrom(0, 1), { maxLength: 6000 }).map((a) => Uint8Array.from(a)),
);

describe("delta properties", () => {
  test("patch(base, delta(sig(base), new)) == new for random edits and chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        content,
        fc.array(edit, { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (from, edits, cuts) => {
          const to = applyEdits(from, edits);
          const { rebuilt, ops } = await roundTrip(from, to, BS, cuts);
          expect(rebuilt).toEqual(to);
          for (const op of ops) {
            if (op.op === "literal") expect(op.data.length).toBeLessThanOrEqual(MAX_LITERAL);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("unchanged content is all copies", async () => {
    await fc.assert(
      fc.asyncProperty(content, async (from) => {
        const { literalBytes, ops } = await roundTrip(from, from);
        expect(literalBytes).toBe(0);
        expect(literalOf(ops)).toBe(0);
      }),
    );
  });
});
