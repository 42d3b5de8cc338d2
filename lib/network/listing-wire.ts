import * as v from "valibot";
import { ArenaPath } from "../model/arena-path.ts";
import { Hash } from "../model/hash.ts";
import type { TreeEntry } from "../model/tree-entry.ts";
import type { Codec } from "./method.ts";
import { describeIssues } from "./wire.ts";

/**
 * One page of a listing (the chunk of `sync.list`) and its wire form. A listing of an
 * arena runs to many thousands of entries and crosses the wire on every push and pull,
 * changed or not, so its page goes as a few columns rather than a CBOR tuple per entry: the
 * sender writes fixed-width records into one byte string (an mtime as 64-bit nanoseconds,
 * with no division), and the receiver checks every record by hand. What is refused is what
 * a page of tuples (sync-wire.ts wireEntry) refuses: bad or partial paths, unknown kinds,
 * sizes that are not safe integers, bad times, modes above 0o7777, hashes that are not 32
 * bytes, directories with a hash or target, bad symlink targets; and columns that do not
 * line up.
 */

/** Most entries (and failures) in one page. */
export const PAGE_ITEMS = 1000;
/** Longest error text accepted from a peer (as sync-wire.ts TEXT_MAX). */
const TEXT_MAX = 4096;
/** Longest symlink target, in UTF-8 bytes (Linux PATH_MAX less the NUL). */
const TARGET_MAX_BYTES = 4095;
const MODE_MAX = 0o7777;

/** What one page carries. */
export interface ListingPage {
  entries: TreeEntry[];
  failures: { path: string; error: string }[];
}

/**
 * A page on the wire. Record i (RECORD bytes, little-endian) of `meta` describes `paths[i]`:
 *   byte 0     kind (bits 0–1: 0 file, 1 directory, 2 symlink) | HASHED | WIDE
 *   byte 1     0
 *   bytes 2–3  permission bits
 *   bytes 4–7  nanoseconds of the mtime when WIDE, else 0
 *   bytes 8–15 size, a float64 holding a safe integer
 *   bytes 16–23 mtime: nanoseconds since the epoch as an int64, or when WIDE (an mtime
 *              outside the int64 range) whole seconds as a float64
 * `hashes` holds the 32-byte hash of each HASHED file and `targets` the link text of each
 * symlink, in the order of their records.
 */
export interface ListingPageWire {
  paths: string[];
  meta: Uint8Array;
  hashes: Uint8Array;
  targets: string[];
  failures: { path: string; error: string }[];
}

const RECORD = 24;
const KIND_BITS = 0b11;
/** A file that comes with its hash. */
const HASHED = 0b100;
/** An mtime as seconds and nanoseconds (see ListingPageWire). */
const WIDE = 0b1000;
const KINDS: readonly TreeEntry["kind"][] = ["file", "dir", "symlink"];
const CODE: Record<TreeEntry["kind"], number> = { file: 0, dir: 1, symlink: 2 };
const NS = 1_000_000_000n;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const KEYS = ["paths", "meta", "hashes", "targets", "failures"];

/**
 * The wire form of a page. Values a peer would refuse (see entryProblem in sync-wire.ts)
 * are sent as they are, so that the peer refuses them rather than misreading them.
 */
export function listingPageToWire(page: ListingPage): ListingPageWire {
  const { entries } = page;
  const meta = new Uint8Array(entries.length * RECORD);
  const view = new DataView(meta.buffer);
  let hashed = 0;
  for (const e of entries) if (e.kind === "file" && e.hash !== undefined) hashed++;
  const hashes = new Uint8Array(hashed * Hash.BYTES);
  const paths: string[] = new Array(entries.length);
  const targets: string[] = [];
  let h = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const at = i * RECORD;
    paths[i] = e.path.text;
    let flags = CODE[e.kind];
    if (e.kind === "file" && e.hash !== undefined) {
      flags |= HASHED;
      hashes.set(e.hash.bytes, h++ * Hash.BYTES);
    } else if (e.kind === "symlink") {
      targets.push(e.target ?? "");
    }
    const mode = Number.isInteger(e.mode) && e.mode >= 0 && e.mode <= 0xffff ? e.mode : 0xffff;
    view.setUint16(at + 2, mode, true);
    view.setFloat64(at + 8, e.size, true);
    if (e.mtimeNs >= I64_MIN && e.mtimeNs <= I64_MAX) {
      view.setBigInt64(at + 16, e.mtimeNs, true);
    } else {
      flags |= WIDE;
      let seconds = e.mtimeNs / NS;
      if (e.mtimeNs % NS < 0n) seconds -= 1n;
      view.setUint32(at + 4, Number(e.mtimeNs - seconds * NS), true);
      view.setFloat64(at + 16, Number(seconds), true);
    }
    meta[at] = flags;
  }
  return { paths, meta, hashes, targets, failures: page.failures };
}

const wireText = v.pipe(v.string(), v.maxLength(TEXT_MAX));
const wireFailures = v.pipe(
  v.array(v.strictObject({ path: wireText, error: wireText })),
  v.maxLength(PAGE_ITEMS),
);

/** Thrown inside decoding with the reason a page is refused. */
class Refusal {
  constructor(readonly reason: string) {}
}

const refuse = (reason: string): never => {
  throw new Refusal(reason);
};

const shown = (text: string) => JSON.stringify(text.slice(0, 200));

function isCount(x: number): boolean {
  return Number.isSafeInteger(x) && x >= 0;
}

/** Why `target` cannot be a symlink's text, or undefined. */
function targetProblem(target: unknown): string | undefined {
  if (typeof target !== "string") return "a symlink target is text";
  if (target.length === 0) return "a symlink target is not empty";
  if (target.includes("\0")) return "a symlink target has no NUL";
  if (Buffer.byteLength(target) > TARGET_MAX_BYTES) {
    return `a symlink target has at most ${TARGET_MAX_BYTES} bytes`;
  }
  return undefined;
}

function decodePage(wire: unknown): ListingPage {
  if (wire === null || typeof wire !== "object" || Array.isArray(wire)) {
    return refuse("a listing page is a map");
  }
  const keys = Object.keys(wire);
  if (keys.length !== KEYS.length || !KEYS.every((k) => Object.hasOwn(wire, k))) {
    return refuse(`a listing page has exactly the keys ${KEYS.join(", ")}`);
  }
  const { paths, meta, hashes, targets, failures } = wire as Record<string, unknown>;
  if (!Array.isArray(paths) || paths.length > PAGE_ITEMS) {
    return refuse(`paths: at most ${PAGE_ITEMS} path texts`);
  }
  if (!(meta instanceof Uint8Array) || meta.length !== paths.length * RECORD) {
    return refuse(`meta: ${RECORD} bytes for each path`);
  }
  if (!(hashes instanceof Uint8Array) || hashes.length % Hash.BYTES !== 0) {
    return refuse(`hashes: ${Hash.BYTES} bytes each`);
  }
  if (!Array.isArray(targets) || targets.length > paths.length) {
    return refuse("targets: one for each symlink");
  }
  const checkedFailures = v.safeParse(wireFailures, failures);
  if (!checkedFailures.success) {
    return refuse(`failures: ${describeIssues(checkedFailures.issues)}`);
  }
  const view = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
  const entries: TreeEntry[] = new Array(paths.length);
  let h = 0;
  let t = 0;
  for (let i = 0; i < paths.length; i++) {
    const text: unknown = paths[i];
    if (typeof text !== "string") return refuse("an entry's path is text");
    const path = ArenaPath.tryParse(text);
    if (path === undefined) return refuse(`path ${shown(text)} ${ArenaPath.check(text)}`);
    if (path.namesPartial()) return refuse(`path ${shown(text)} names a partial file`);
    const at = i * RECORD;
    const flags = meta[at]!;
    const kind = KINDS[flags & KIND_BITS];
    if (kind === undefined || flags > (WIDE | HASHED | KIND_BITS) || meta[at + 1] !== 0) {
      return refuse(`entry ${text} has an unknown kind`);
    }
    const mode = view.getUint16(at + 2, true);
    const nanos = view.getUint32(at + 4, true);
    const size = view.getFloat64(at + 8, true);
    if (!isCount(size)) return refuse(`entry ${text} has size ${size}`);
    let mtimeNs: bigint;
    if ((flags & WIDE) !== 0) {
      const seconds = view.getFloat64(at + 16, true);
      if (!Number.isSafeInteger(seconds) || nanos > 999_999_999) {
        return refuse(`entry ${text} has a bad mtime`);
      }
      mtimeNs = BigInt(seconds) * NS + BigInt(nanos);
    } else {
      if (nanos !== 0) return refuse(`entry ${text} has a bad mtime`);
      mtimeNs = view.getBigInt64(at + 16, true);
    }
    if (mode > MODE_MAX) return refuse(`entry ${text} has mode ${mode}`);
    const entry: TreeEntry = { path, kind, size, mtimeNs, mode };
    if ((flags & HASHED) !== 0) {
      if (kind !== "file") return refuse(`${kind} ${text} carries a hash`);
      if (h * Hash.BYTES === hashes.length) return refuse("hashes: fewer than hashed files");
      entry.hash = Hash.fromBytes(hashes.subarray(h * Hash.BYTES, ++h * Hash.BYTES));
    } else if (kind === "symlink") {
      if (t === targets.length) return refuse("targets: fewer than symlinks");
      const target: unknown = targets[t++];
      const problem = targetProblem(target);
      if (problem !== undefined) return refuse(`symlink ${text}: ${problem}`);
      entry.target = target as string;
    }
    entries[i] = entry;
  }
  if (h * Hash.BYTES !== hashes.length) return refuse("hashes: more than hashed files");
  if (t !== targets.length) return refuse("targets: more than symlinks");
  return { entries, failures: checkedFailures.output };
}

/** The codec of a listing page: `listingPageToWire` out, every record checked in. */
export const listingPageCodec: Codec<ListingPage> = {
  decode(wire) {
    try {
      return { ok: true, value: decodePage(wire) };
    } catch (e) {
      if (e instanceof Refusal) return { ok: false, reason: e.reason };
      throw e;
    }
  },
  encode: listingPageToWire,
};
