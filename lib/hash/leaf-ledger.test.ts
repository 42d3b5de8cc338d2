import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { LeafLedger } from "./leaf-ledger.ts";
import { hashLeaf, LEAF_SIZE, leafCount } from "./merkle.ts";

/** A file in memory with the ledger told of every change, as PartialFile does. */
class Model {
  bytes = new Uint8Array(0);
  constructor(readonly ledger = new LeafLedger()) {}

  write(offset: number, data: Uint8Array): void {
    this.ledger.wrote(offset, data);
    if (offset + data.length > this.bytes.length) this.grow(offset + data.length);
    this.bytes.set(data, offset);
  }

  resize(size: number): void {
    this.ledger.resized(size);
    this.grow(size);
  }

  private grow(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, Math.min(size, this.bytes.length)));
    this.bytes = next;
  }

  leafBytes(i: number): Uint8Array {
    return this.bytes.subarray(i * LEAF_SIZE, Math.min(this.bytes.length, (i + 1) * LEAF_SIZE));
  }

  /** Leaf i as the ledger has it, checked against the bytes; true when known. */
  async check(i: number): Promise<boolean> {
    const bytes = Uint8Array.from(this.leafBytes(i));
    const known = await this.ledger.leaf(i, this.bytes.length);
    if (known !== undefined) expect(known).toEqual(hashLeaf(bytes));
    return known !== undefined;
  }

  checkAll(): Promise<boolean[]> {
    return Promise.all(
      Array.from({ length: leafCount(this.bytes.length) }, (_, i) => this.check(i)),
    );
  }
}

const filled = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (i * 7 + seed * 13) & 0xff);

describe("LeafLedger", () => {
  test("leaf-aligned writes in any order make every leaf known", async () => {
    const m = new Model();
    const size = 5 * LEAF_SIZE + 123;
    const data = filled(size, 1);
    for (const start of [3, 0, 5, 1, 4, 2].map((i) => i * LEAF_SIZE)) {
      m.write(start, data.subarray(start, Math.min(size, start + LEAF_SIZE)));
    }
    expect(await m.checkAll()).toEqual([true, true, true, true, true, true]);
  });

  test("a stream of unaligned chunks in order (a delta rebuild) makes every leaf known", async () => {
    const m = new Model();
    const data = filled(3 * LEAF_SIZE + 999, 2);
    for (let at = 0, step = 1; at < data.length; at += step, step = (step * 7 + 1000) % 50_000) {
      m.write(at, data.subarray(at, at + step));
    }
    expect(await m.checkAll()).toEqual([true, true, true, true]);
  });

  test("a small write inside a known leaf makes it unknown; its neighbours stay known", async () => {
    const m = new Model();
    m.write(0, filled(3 * LEAF_SIZE, 3));
    m.write(LEAF_SIZE + 10, Uint8Array.of(1, 2, 3));
    expect(await m.checkAll()).toEqual([true, false, true]);
  });

  test("cutting a file forgets the leaf cut short and keeps the last whole ones", async () => {
    const m = new Model();
    m.write(0, filled(3 * LEAF_SIZE, 4));
    m.resize(2 * LEAF_SIZE + 5);
    expect(await m.checkAll()).toEqual([true, true, false]);
    m.resize(2 * LEAF_SIZE);
    expect(await m.checkAll()).toEqual([true, true]);
  });

  test("cutting and growing back with zeros does not bring back the old leaf", async () => {
    const m = new Model();
    m.write(0, filled(2 * LEAF_SIZE, 5));
    m.resize(LEAF_SIZE + 100);
    m.resize(2 * LEAF_SIZE);
    expect(await m.checkAll()).toEqual([true, false]);
  });

  test("the empty file's one leaf is unknown until told", async () => {
    const m = new Model();
    expect(await m.checkAll()).toEqual([false]);
    m.ledger.set(0, hashLeaf(new Uint8Array(0)), 0);
    expect(await m.checkAll()).toEqual([true]);
  });

  /** Hashes leaves later, as a worker would: the ledger must not mind. */
  const later = async (data: Uint8Array) => {
    const copy = Uint8Array.from(data);
    await Bun.sleep(0);
    const leaves: Uint8Array[] = [];
    for (let at = 0; at < copy.length; at += LEAF_SIZE)
      leaves.push(hashLeaf(copy.subarray(at, at + LEAF_SIZE)));
    return leaves;
  };

  test.each([
    ["hashed in place", () => new LeafLedger()],
    ["big writes hashed later", () => new LeafLedger({ hashLeaves: later, offloadFrom: 2 })],
  ])(
    "property (%s): whatever the writes and resizes, a known leaf has the hash of its bytes",
    async (_, ledger) => {
      const op = fc.oneof(
        fc.record({
          kind: fc.constant("write" as const),
          offset: fc.oneof(
            fc.integer({ min: 0, max: 4 }).map((i) => i * LEAF_SIZE),
            fc.integer({ min: 0, max: 4 * LEAF_SIZE }),
          ),
          length: fc.oneof(
            fc.constantFrom(LEAF_SIZE, 2 * LEAF_SIZE, 1),
            fc.integer({ min: 1, max: 3 * LEAF_SIZE }),
          ),
          seed: fc.integer({ min: 0, max: 255 }),
        }),
        fc.record({
          kind: fc.constant("resize" as const),
          size: fc.integer({ min: 0, max: 5 * LEAF_SIZE }),
        }),
        fc.record({
          kind: fc.constant("continue" as const),
          length: fc.integer({ min: 1, max: LEAF_SIZE }),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
          const m = new Model(ledger());
          for (const o of ops) {
            if (o.kind === "write") m.write(o.offset, filled(o.length, o.seed));
            else if (o.kind === "resize") m.resize(o.size);
            else m.write(m.bytes.length, filled(o.length, o.length));
          }
          await m.checkAll();
        }),
        { numRuns: 300 },
      );
    },
  );
});
