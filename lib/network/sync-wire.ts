import * as v from "valibot";
import { checkDeltaOp, type DeltaOp } from "../delta/delta-op.ts";
import { ArenaPath } from "../model/arena-path.ts";
import { ByteRanges } from "../model/byte-ranges.ts";
import { errorMessage } from "../model/errors.ts";
import { Hash } from "../model/hash.ts";
import { checkName } from "../model/names.ts";
import type { TreeEntry } from "../model/tree-entry.ts";

/**
 * The values of the sync protocol as they cross the wire, and their one conversion to and
 * from domain values. Every schema here validates what a peer sent before anything acts on
 * it: paths are ArenaPaths that are never partial files, hashes are 32 bytes, sizes and
 * offsets are safe integers, and every list and byte string has a bound that keeps one
 * message well inside a frame (framing.ts DEFAULT_MAX_FRAME, 4 MiB).
 */

/** Most items (entries, failures, results, paths) in one message. */
export const ITEMS_PER_MESSAGE = 1000;
/** Estimated wire bytes one message of items may hold, half a default frame. */
export const MESSAGE_BUDGET = 2 * 1024 * 1024;
/** Most bytes of file data in one write or one small file. */
export const DATA_CHUNK = 1024 * 1024;
/** Most bytes of file data in one chunk of a read stream. */
export const READ_CHUNK = 256 * 1024;
/** Most leaf hashes in one page (1 MiB of hashes, a 2 GiB file). */
export const LEAVES_PER_PAGE = 32 * 1024;
/** Most byte ranges in one page of a reception's need. */
export const RANGES_PER_PAGE = 64 * 1024;
/** Most signature blocks in one page. */
export const BLOCKS_PER_PAGE = 32 * 1024;
/** Most delta ops in one message. */
export const OPS_PER_MESSAGE = 4096;
/** Longest error text accepted from a peer; longer ones are cut before sending. */
export const TEXT_MAX = 4096;
/** Longest symlink target, in UTF-8 bytes (Linux PATH_MAX less the NUL). */
export const TARGET_MAX_BYTES = 4095;

const MODE_MAX = 0o7777;
const NS_PER_SECOND = 1_000_000_000n;

/** Bytes from the wire (cbor-x gives a Buffer, which is a Uint8Array). */
export const wireBytes = v.custom<Uint8Array>((x) => x instanceof Uint8Array, "expected bytes");

/** A non-negative safe integer: sizes, offsets, counts, tokens. */
export const wireCount = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** An arena name (names.ts rules). */
export const wireArena = v.pipe(
  v.string(),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const reason = checkName("arena", dataset.value);
    if (reason !== undefined) addIssue({ message: reason });
  }),
);

/**
 * An arena path: a valid ArenaPath none of whose components is a partial file's name
 * (partials are never listed or synced, so a peer naming one is faulty).
 */
export const wirePath = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const text = dataset.value;
    const path = ArenaPath.tryParse(text);
    if (path === undefined) {
      addIssue({ message: `path ${JSON.stringify(text.slice(0, 200))} ${ArenaPath.check(text)}` });
      return NEVER;
    }
    if (path.namesPartial()) {
      addIssue({ message: `path ${JSON.stringify(text.slice(0, 200))} names a partial file` });
      return NEVER;
    }
    return path;
  }),
);

/** A path given as text, checked like wirePath but kept as its text. */
export const wirePathText = v.pipe(
  wirePath,
  v.transform((path) => path.text),
);

/** A content hash: exactly 32 bytes. */
export const wireHash = v.pipe(
  wireBytes,
  v.length(Hash.BYTES, `a hash has ${Hash.BYTES} bytes`),
  v.transform((bytes) => Hash.fromBytes(bytes)),
);

/** Error text (or a path shown in one) from a peer. */
export const wireText = v.pipe(v.string(), v.maxLength(TEXT_MAX));

/** Cuts a message to what a peer accepts. */
export function clipText(text: string): string {
  return text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 1)}…` : text;
}

/** A modification time as `[seconds, nanoseconds]`: exact for any 64-bit nanosecond value. */
export type MtimeWire = [number, number];

/** Splits nanoseconds since the epoch into whole seconds (floored) and 0..999,999,999 ns. */
export function mtimeToWire(mtimeNs: bigint): MtimeWire {
  let seconds = mtimeNs / NS_PER_SECOND;
  if (mtimeNs % NS_PER_SECOND < 0n) seconds -= 1n;
  return [Number(seconds), Number(mtimeNs - seconds * NS_PER_SECOND)];
}

/**
 * A tree entry on the wire: `[path, kind, size, seconds, nanoseconds, mode, extra]`, where
 * extra is the 32-byte hash of a file (null for a file listed without one), the target of
 * a symlink and null for a directory.
 * A tuple rather than a map, because listings of many thousands of entries are common.
 */
export type EntryWire = [
  string,
  string,
  number,
  number,
  number,
  number,
  Uint8Array | string | null,
];

/** The wire form of a tree entry (see EntryWire). */
export function entryToWire(entry: TreeEntry): EntryWire {
  const [seconds, nanos] = mtimeToWire(entry.mtimeNs);
  const extra =
    entry.kind === "file"
      ? (entry.hash?.bytes ?? null)
      : entry.kind === "symlink"
        ? (entry.target ?? null)
        : null;
  return [entry.path.text, entry.kind, entry.size, seconds, nanos, entry.mode, extra];
}

const wireTarget = v.pipe(
  v.string(),
  v.minLength(1, "a symlink target is not empty"),
  v.check((t) => !t.includes("\0"), "a symlink target has no NUL"),
  v.check(
    (t) => Buffer.byteLength(t) <= TARGET_MAX_BYTES,
    `a symlink target has at most ${TARGET_MAX_BYTES} bytes`,
  ),
);

const KINDS: ReadonlySet<unknown> = new Set(["file", "dir", "symlink"]);

/**
 * A tree entry from the wire, with the rules of each kind (see EntryWire). Checked by hand
 * rather than by a pipeline of schemas: listings of many thousands of entries are common,
 * and this runs about five times faster while refusing exactly the same values.
 */
export const wireEntry = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): TreeEntry => {
    const refuse = (message: string) => {
      addIssue({ message });
      return NEVER;
    };
    const value = dataset.value;
    if (!Array.isArray(value) || value.length !== 7) {
      return refuse("a tree entry is [path, kind, size, seconds, nanoseconds, mode, extra]");
    }
    const [text, kind, size, seconds, nanos, mode, extra] = value as unknown[];
    if (typeof text !== "string") return refuse("an entry's path is text");
    const path = ArenaPath.tryParse(text);
    if (path === undefined) {
      return refuse(`path ${JSON.stringify(text.slice(0, 200))} ${ArenaPath.check(text)}`);
    }
    if (path.namesPartial()) {
      return refuse(`path ${JSON.stringify(text.slice(0, 200))} names a partial file`);
    }
    if (!KINDS.has(kind)) return refuse(`entry ${path.text} has an unknown kind`);
    if (!isCount(size)) return refuse(`entry ${path.text} has size ${String(size)}`);
    if (!Number.isSafeInteger(seconds)) return refuse(`entry ${path.text} has a bad mtime`);
    if (!Number.isSafeInteger(nanos) || (nanos as number) < 0 || (nanos as number) > 999_999_999) {
      return refuse(`entry ${path.text} has a bad mtime`);
    }
    if (!Number.isSafeInteger(mode) || (mode as number) < 0 || (mode as number) > MODE_MAX) {
      return refuse(`entry ${path.text} has mode ${String(mode)}`);
    }
    const entry: TreeEntry = {
      path,
      kind: kind as TreeEntry["kind"],
      size: size as number,
      mtimeNs: BigInt(seconds as number) * NS_PER_SECOND + BigInt(nanos as number),
      mode: mode as number,
    };
    if (kind === "file") {
      if (extra === null) return entry;
      if (!(extra instanceof Uint8Array) || extra.length !== Hash.BYTES) {
        return refuse(`file ${path.text} has a hash of other than ${Hash.BYTES} bytes`);
      }
      entry.hash = Hash.fromBytes(extra);
    } else if (kind === "symlink") {
      const target = v.safeParse(wireTarget, extra);
      if (!target.success) return refuse(`symlink ${path.text}: ${target.issues[0].message}`);
      entry.target = target.output;
    } else if (extra !== null) {
      return refuse(`directory ${path.text} carries a hash or target`);
    }
    return entry;
  }),
);

function isCount(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

/**
 * Why an entry of this peer cannot be sent as it is (a peer would refuse it), or undefined.
 * Lets a sender report such an entry by name instead of breaking the connection.
 */
export function entryProblem(entry: TreeEntry): string | undefined {
  if (!Number.isSafeInteger(entry.size) || entry.size < 0) return `has size ${entry.size}`;
  if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > MODE_MAX) {
    return `has mode ${entry.mode}`;
  }
  if (entry.kind === "symlink" && !v.is(wireTarget, entry.target)) {
    return "has a symlink target that cannot be sent";
  }
  return undefined;
}

/**
 * A path that could not be listed, with the reason. Its path is only shown, never acted on,
 * and may be exactly the text that failed to be an ArenaPath, so it is bounded text.
 */
export const wireFailure = v.strictObject({ path: wireText, error: wireText });

/** The outcome of one item of a batch. */
export const wireItemResult = v.union([
  v.strictObject({ path: wirePathText }),
  v.strictObject({ path: wirePathText, error: wireText }),
]);

/** The wire form of an item's outcome: no `error` key when it succeeded, its text cut to size. */
export function itemResultToWire(result: {
  path: string;
  error?: string;
}): { path: string } | { path: string; error: string } {
  return result.error === undefined
    ? { path: result.path }
    : { path: result.path, error: clipText(result.error) };
}

/** Byte ranges as flat `[start, end, start, end…]`, sorted and disjoint. */
export function rangesToWire(ranges: ByteRanges): number[] {
  return ranges.toPairs().flat();
}

/** Byte ranges from the wire: pairs of safe integers, each start < end, in increasing order. */
export const wireRanges = v.pipe(
  v.array(wireCount),
  v.maxLength(2 * RANGES_PER_PAGE),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const flat = dataset.value;
    if (flat.length % 2 !== 0) {
      addIssue({ message: "byte ranges come as start, end pairs" });
      return NEVER;
    }
    const pairs: [number, number][] = [];
    let last = -1;
    for (let i = 0; i < flat.length; i += 2) {
      const start = flat[i]!;
      const end = flat[i + 1]!;
      if (start <= last || end <= start) {
        addIssue({ message: `byte range [${start}, ${end}) is empty or out of order` });
        return NEVER;
      }
      pairs.push([start, end]);
      last = end;
    }
    return ByteRanges.fromPairs(pairs);
  }),
);

/** Leaf hashes packed end to end, 32 bytes each. */
export function leavesToWire(leaves: readonly Hash[]): Uint8Array {
  const out = new Uint8Array(leaves.length * Hash.BYTES);
  leaves.forEach((leaf, i) => {
    out.set(leaf.bytes, i * Hash.BYTES);
  });
  return out;
}

/** Unpacks leaf hashes; undefined unless `bytes` is a whole number of hashes. */
export function leavesFromBytes(bytes: Uint8Array): Hash[] | undefined {
  if (bytes.length % Hash.BYTES !== 0) return undefined;
  const leaves: Hash[] = [];
  for (let at = 0; at < bytes.length; at += Hash.BYTES) {
    leaves.push(Hash.fromBytes(bytes.subarray(at, at + Hash.BYTES)));
  }
  return leaves;
}

/** One page of leaf hashes from the wire. */
export const wireLeaves = v.pipe(
  wireBytes,
  v.maxLength(LEAVES_PER_PAGE * Hash.BYTES),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const leaves = leavesFromBytes(dataset.value);
    if (leaves === undefined) {
      addIssue({ message: `leaf hashes are ${Hash.BYTES} bytes each` });
      return NEVER;
    }
    return leaves;
  }),
);

/** File data of 1 to `max` bytes. */
export function wireData(max: number) {
  return v.pipe(wireBytes, v.maxLength(max));
}

/**
 * Delta ops from the wire: each a copy (whole block ≥ 0, count ≥ 1) or a literal of 1 to
 * MAX_LITERAL bytes, rebuilt so no stray field passes on. Whether copies fall inside the
 * base is the patcher's check, which knows the base.
 */
export const wireOps = v.pipe(
  v.array(v.unknown()),
  v.maxLength(OPS_PER_MESSAGE),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const ops: DeltaOp[] = [];
    for (const value of dataset.value) {
      try {
        const op = checkDeltaOp(value, Number.MAX_SAFE_INTEGER);
        if (op.op === "literal") ops.push({ op: "literal", data: op.data });
        else if (op.count === undefined) ops.push({ op: "copy", block: op.block });
        else ops.push({ op: "copy", block: op.block, count: op.count });
      } catch (error) {
        addIssue({ message: errorMessage(error) });
        return NEVER;
      }
    }
    return ops;
  }),
);

/** Estimated wire bytes of delta ops (a literal's data plus a little per op). */
export function opsWireSize(ops: readonly DeltaOp[]): number {
  let bytes = 0;
  for (const op of ops) bytes += 16 + (op.op === "literal" ? op.data.length : 0);
  return bytes;
}

/**
 * Bytes sent either inline or, when larger than one message may carry, staged before the
 * request in pieces (`sync.stage`) and named by their stage number.
 */
export type BytesArg = { bytes: Uint8Array } | { stage: number };

/** A BytesArg from the wire. */
export const wireBytesArg = v.union([
  v.strictObject({ bytes: wireData(DATA_CHUNK) }),
  v.strictObject({ stage: wireCount }),
]);

/** Estimated wire bytes of a tree entry. */
export function entryWireSize(entry: TreeEntry): number {
  return 64 + Buffer.byteLength(entry.path.text) + Buffer.byteLength(entry.target ?? "");
}

/** Estimated wire bytes of a path with a short text beside it (a failure, a result). */
export function textWireSize(path: string, text = ""): number {
  return 24 + Buffer.byteLength(path) + Buffer.byteLength(text);
}

/**
 * Cuts `items` into consecutive groups of at most `maxCount` items and (unless a single
 * item is larger) at most `maxBytes` estimated bytes, keeping their order.
 */
export function batchBySize<T>(
  items: Iterable<T>,
  sizeOf: (item: T) => number,
  maxBytes = MESSAGE_BUDGET,
  maxCount = ITEMS_PER_MESSAGE,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxCount)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** A modification time from the wire (see MtimeWire), as nanoseconds since the epoch. */
export const wireMtime = v.pipe(
  v.tuple([
    v.pipe(v.number(), v.safeInteger()),
    v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(999_999_999)),
  ]),
  v.transform(([seconds, nanos]) => BigInt(seconds) * NS_PER_SECOND + BigInt(nanos)),
);
