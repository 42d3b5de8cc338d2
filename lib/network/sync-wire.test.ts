import { describe, expect, test } from "bun:test";
import { Decoder, Encoder } from "cbor-x";
import fc from "fast-check";
import * as v from "valibot";
import { ArenaPath } from "../model/arena-path.ts";
import { ByteRanges } from "../model/byte-ranges.ts";
import { Hash } from "../model/hash.ts";
import type { TreeEntry } from "../model/tree-entry.ts";
import { CBOR_OPTIONS } from "./framing.ts";
import { syncMethods } from "./sync-protocol.ts";
import {
  entryProblem,
  entryToWire,
  mtimeToWire,
  rangesToWire,
  wireArena,
  wireEntry,
  wireOps,
  wireRanges,
} from "./sync-wire.ts";

const encoder = new Encoder(CBOR_OPTIONS);
const decoder = new Decoder(CBOR_OPTIONS);
/** What a peer receives: the value after a CBOR round trip, as framing.ts does it. */
const overTheWire = (value: unknown): unknown => decoder.decode(encoder.encode(value));

const hash = new Uint8Array(32).fill(7);
const good = ["dir/file.txt", "file", 10, 1_700_000_000, 5, 0o644, hash];

describe("tree entries on the wire", () => {
  test.each([
    ["a path with ..", ["a/../b", "file", 1, 0, 0, 0o644, hash]],
    ["an absolute path", ["/etc/passwd", "file", 1, 0, 0, 0o644, hash]],
    ["an empty path", ["", "dir", 0, 0, 0, 0o755, null]],
    ["a NUL in the path", ["a\0b", "file", 1, 0, 0, 0o644, hash]],
    ["a partial file's name", [".f.realize-partial", "file", 1, 0, 0, 0o644, hash]],
    ["a partial name as a directory", ["d/.x.realize-partial/f", "file", 1, 0, 0, 0o644, hash]],
    ["a 31-byte hash", ["f", "file", 1, 0, 0, 0o644, new Uint8Array(31)]],
    ["a 33-byte hash", ["f", "file", 1, 0, 0, 0o644, new Uint8Array(33)]],
    ["a file with a text hash", ["f", "file", 1, 0, 0, 0o644, "abc"]],
    ["a directory with a hash", ["d", "dir", 0, 0, 0, 0o755, hash]],
    ["a symlink without target", ["l", "symlink", 1, 0, 0, 0o777, null]],
    ["a symlink with an empty target", ["l", "symlink", 0, 0, 0, 0o777, ""]],
    ["a symlink target with NUL", ["l", "symlink", 3, 0, 0, 0o777, "a\0b"]],
    ["an unknown kind", ["f", "fifo", 0, 0, 0, 0o644, null]],
    ["a negative size", ["f", "file", -1, 0, 0, 0o644, hash]],
    ["an unsafe size", ["f", "file", 2 ** 53, 0, 0, 0o644, hash]],
    ["a fractional size", ["f", "file", 1.5, 0, 0, 0o644, hash]],
    ["a nanosecond part of a whole second", ["f", "file", 1, 0, 1_000_000_000, 0o644, hash]],
    ["a mode above 0o7777", ["f", "file", 1, 0, 0, 0o10000, hash]],
    ["an extra field", [...good, "more"]],
    ["a missing field", good.slice(0, 6)],
    ["a map instead of a tuple", { path: "f", kind: "file" }],
  ])("refuses %s", (_, wire) => {
    expect(v.safeParse(wireEntry, overTheWire(wire)).success).toBe(false);
  });

  test("accepts a good entry and gives domain values", () => {
    const parsed = v.parse(wireEntry, overTheWire(good));
    expect(parsed.path).toBeInstanceOf(ArenaPath);
    expect(parsed.path.text).toBe("dir/file.txt");
    expect(parsed.hash).toBeInstanceOf(Hash);
    expect(parsed.mtimeNs).toBe(1_700_000_000_000_000_005n);
  });

  test("accepts a file listed without a hash, and gives it none", () => {
    const parsed = v.parse(wireEntry, overTheWire(["f", "file", 1, 0, 0, 0o644, null]));
    expect(parsed.kind).toBe("file");
    expect(parsed.hash).toBeUndefined();
  });

  test.each([
    [0n, [0, 0]],
    [1n, [0, 1]],
    [-1n, [-1, 999_999_999]],
    [-1_000_000_000n, [-1, 0]],
    [1_700_000_000_123_456_789n, [1_700_000_000, 123_456_789]],
  ])("mtime %p splits into seconds and nanoseconds %p", (ns, wire) => {
    expect(mtimeToWire(ns)).toEqual(wire as [number, number]);
  });

  const entries = fc
    .record({
      path: fc.stringMatching(/^[a-z0-9 ._-]{1,12}(\/[a-z0-9 ._-]{1,12}){0,3}$/),
      kind: fc.constantFrom("file", "dir", "symlink"),
      size: fc.maxSafeNat(),
      mtimeNs: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      mode: fc.integer({ min: 0, max: 0o7777 }),
      hash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      target: fc.string({ minLength: 1, maxLength: 40 }).filter((t) => !t.includes("\0")),
    })
    .filter(
      ({ path }) =>
        ArenaPath.check(path) === undefined && !/(^|\/)\.[^/]+\.realize-partial/.test(path),
    )
    .map(
      ({ path, kind, size, mtimeNs, mode, hash, target }): TreeEntry => ({
        path: ArenaPath.parse(path),
        kind: kind as TreeEntry["kind"],
        size,
        mtimeNs,
        mode,
        ...(kind === "file" ? { hash: Hash.fromBytes(hash) } : {}),
        ...(kind === "symlink" ? { target } : {}),
      }),
    );

  test("every sendable entry survives the wire exactly (mtime to the nanosecond)", () => {
    fc.assert(
      fc.property(entries, (entry) => {
        expect(entryProblem(entry)).toBeUndefined();
        const back = v.parse(wireEntry, overTheWire(entryToWire(entry)));
        expect(back.path.text).toBe(entry.path.text);
        expect(back.mtimeNs).toBe(entry.mtimeNs);
        expect({ ...back, path: 0, hash: back.hash?.toHex() }).toEqual({
          ...entry,
          path: 0,
          hash: entry.hash?.toHex(),
        });
      }),
      { numRuns: 500 },
    );
  });

  test("an entry a peer would refuse is named by entryProblem", () => {
    const path = ArenaPath.parse("f");
    expect(entryProblem({ path, kind: "file", size: -1, mtimeNs: 0n, mode: 0o644 })).toBe(
      "has size -1",
    );
    expect(entryProblem({ path, kind: "file", size: 1, mtimeNs: 0n, mode: 0o644 })).toBeUndefined();
    expect(
      entryProblem({ path, kind: "symlink", size: 0, mtimeNs: 0n, mode: 0o777, target: "" }),
    ).toContain("target");
  });
});

describe("other sync values on the wire", () => {
  test.each([
    ["an odd count", [0, 10, 20]],
    ["an empty range", [5, 5]],
    ["ranges out of order", [20, 30, 0, 10]],
    ["overlapping ranges", [0, 10, 5, 15]],
    ["a negative offset", [-1, 10]],
    ["a fractional offset", [0, 1.5]],
  ])("byte ranges: refuses %s", (_, wire) => {
    expect(v.safeParse(wireRanges, wire).success).toBe(false);
  });

  test("byte ranges round-trip", () => {
    const ranges = ByteRanges.fromPairs([
      [0, 10],
      [65536, 131072],
      [2 ** 40, 2 ** 40 + 1],
    ]);
    expect(v.parse(wireRanges, overTheWire(rangesToWire(ranges))).equals(ranges)).toBe(true);
  });

  test.each([
    ["a copy of a negative block", [{ op: "copy", block: -1 }]],
    ["a copy of zero blocks", [{ op: "copy", block: 0, count: 0 }]],
    ["an empty literal", [{ op: "literal", data: new Uint8Array() }]],
    ["a literal of 256 KiB + 1", [{ op: "literal", data: new Uint8Array(256 * 1024 + 1) }]],
    ["an unknown op", [{ op: "move", block: 1 }]],
  ])("delta ops: refuses %s", (_, wire) => {
    expect(v.safeParse(wireOps, overTheWire(wire)).success).toBe(false);
  });

  test("delta ops lose stray fields", () => {
    const ops = v.parse(wireOps, overTheWire([{ op: "copy", block: 3, count: 2, evil: 1 }]));
    expect(ops).toEqual([{ op: "copy", block: 3, count: 2 }]);
  });

  test.each(["", "Photos", "a/b", "x".repeat(65)])("arena name %p is refused", (name) => {
    expect(v.safeParse(wireArena, name).success).toBe(false);
  });

  test("a readSmall answer of a partial file's path is refused", () => {
    const decoded = syncMethods.readSmall.result.decode(
      overTheWire([{ path: "d/.x.realize-partial", data: new Uint8Array(1) }]),
    );
    expect(decoded.ok).toBe(false);
  });

  test("a readSmall answer may carry a 32-byte hash, nothing else", () => {
    const { readSmall } = syncMethods;
    const hash = Hash.fromBytes(new Uint8Array(32).fill(9));
    const wire = readSmall.result.encode([{ path: "a", data: new Uint8Array([1]), hash }]);
    const decoded = readSmall.result.decode(overTheWire(wire));
    expect(decoded.ok && "data" in decoded.value[0]! && decoded.value[0].hash?.equals(hash)).toBe(
      true,
    );
    const short = overTheWire([{ path: "a", data: new Uint8Array(1), hash: new Uint8Array(31) }]);
    expect(readSmall.result.decode(short).ok).toBe(false);
  });

  test("list failures may name text that is no valid path (it is only shown)", () => {
    const decoded = syncMethods.list.chunk.decode(
      overTheWire(
        syncMethods.list.chunk.encode({
          entries: [],
          failures: [{ path: "bad\0name", error: "not UTF-8" }],
        }),
      ),
    );
    expect(decoded.ok).toBe(true);
  });
});
