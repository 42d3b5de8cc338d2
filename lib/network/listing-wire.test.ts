import { describe, expect, test } from "bun:test";
import { Decoder, Encoder } from "cbor-x";
import fc from "fast-check";
import { ArenaPath } from "../model/arena-path.ts";
import { Hash } from "../model/hash.ts";
import type { TreeEntry } from "../model/tree-entry.ts";
import { CBOR_OPTIONS } from "./framing.ts";
import {
  type ListingPage,
  type ListingPageWire,
  listingPageCodec,
  listingPageToWire,
  PAGE_ITEMS,
} from "./listing-wire.ts";

const encoder = new Encoder(CBOR_OPTIONS);
const decoder = new Decoder(CBOR_OPTIONS);
/** What a peer receives: the value after a CBOR round trip, as framing.ts does it. */
const overTheWire = (value: unknown): unknown => decoder.decode(encoder.encode(value));

const p = (text: string) => ArenaPath.parse(text);
const hash = Hash.fromBytes(new Uint8Array(32).fill(7));

const file: TreeEntry = {
  path: p("dir/file.txt"),
  kind: "file",
  size: 10,
  mtimeNs: 1_700_000_000_000_000_005n,
  mode: 0o644,
  hash,
};
const dir: TreeEntry = { path: p("dir"), kind: "dir", size: 4096, mtimeNs: 5n, mode: 0o755 };
const link: TreeEntry = {
  path: p("dir/link"),
  kind: "symlink",
  size: 6,
  mtimeNs: -1n,
  mode: 0o777,
  target: "../x y",
};
const page: ListingPage = { entries: [dir, file, link], failures: [{ path: "bad", error: "why" }] };

/** The page decoded after a trip over the wire, or the reason it was refused. */
function received(wire: unknown): ListingPage | string {
  const decoded = listingPageCodec.decode(overTheWire(wire));
  return decoded.ok ? decoded.value : decoded.reason;
}

/** The good page's wire form with `change` applied to a copy of it. */
function tampered(change: (wire: ListingPageWire, view: DataView) => void): ListingPageWire {
  const wire = listingPageToWire(page);
  const copy = { ...wire, meta: wire.meta.slice(), paths: [...wire.paths] };
  change(copy, new DataView(copy.meta.buffer));
  return copy;
}

const entry = fc.record(
  {
    path: fc
      .array(fc.constantFrom("a", "b c", "é", "😀", ".x", "realize-partial", "\n"), {
        minLength: 1,
        maxLength: 4,
      })
      .map((cs) => p(cs.join("/"))),
    kind: fc.constantFrom("file", "dir", "symlink"),
    size: fc.maxSafeNat(),
    mtimeNs: fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
      fc.constantFrom(0n, -1n, 2n ** 63n, -(2n ** 63n) - 1n),
    ),
    mode: fc.integer({ min: 0, max: 0o7777 }),
    hash: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
    target: fc.string({ minLength: 1, maxLength: 20 }).filter((t) => !t.includes("\0")),
  },
  { requiredKeys: ["path", "kind", "size", "mtimeNs", "mode"] },
);

/** A generated entry as a listing has it: a hash only on a file, a target only on a symlink. */
function asListed(e: typeof entry extends fc.Arbitrary<infer T> ? T : never): TreeEntry {
  const out: TreeEntry = {
    path: e.path,
    kind: e.kind as TreeEntry["kind"],
    size: e.size,
    mtimeNs: e.mtimeNs,
    mode: e.mode,
  };
  if (e.kind === "file" && e.hash) out.hash = Hash.fromBytes(e.hash);
  if (e.kind === "symlink") out.target = e.target ?? "t";
  return out;
}

describe("listing pages on the wire", () => {
  test("a page comes back as it was sent: paths, kinds, sizes, times to the ns, modes, hashes, targets", () => {
    expect(received(listingPageToWire(page))).toEqual(page);
  });

  test("any page of valid entries round-trips, mtimes far outside 64-bit nanoseconds too", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), (generated) => {
        const entries = generated.map(asListed);
        const got = received(listingPageToWire({ entries, failures: [] }));
        expect(typeof got).toBe("object");
        const back = got as ListingPage;
        expect(back.entries.map((e) => e.path.text)).toEqual(entries.map((e) => e.path.text));
        expect(back.entries).toEqual(entries);
      }),
    );
  });

  test("an empty page is fine", () => {
    expect(received(listingPageToWire({ entries: [], failures: [] }))).toEqual({
      entries: [],
      failures: [],
    });
  });

  const setPath = (text: unknown) => (w: ListingPageWire) => {
    (w.paths as unknown[])[1] = text;
  };
  test.each<[string, (w: ListingPageWire, view: DataView) => void, string]>([
    ["a path with ..", setPath("a/../b"), '".." component'],
    ["an absolute path", setPath("/etc/passwd"), "absolute"],
    ["an empty path", setPath(""), "empty"],
    ["a NUL in a path", setPath("a\0b"), "NUL"],
    ["a path that is not text", setPath(7), "is text"],
    ["a partial file's name", setPath(".f.realize-partial"), "partial"],
    ["a partial name as a directory", setPath("d/.x.realize-partial/f"), "partial"],
    [
      "an unknown kind",
      (w) => {
        w.meta[24] = 3;
      },
      "unknown kind",
    ],
    [
      "stray flag bits",
      (w) => {
        w.meta[24] = 0x10;
      },
      "unknown kind",
    ],
    [
      "a second byte that is not 0",
      (w) => {
        w.meta[25] = 1;
      },
      "unknown kind",
    ],
    ["a negative size", (_, d) => d.setFloat64(32, -1, true), "size -1"],
    ["a fractional size", (_, d) => d.setFloat64(32, 1.5, true), "size 1.5"],
    ["an unsafe size", (_, d) => d.setFloat64(32, 2 ** 53, true), "size"],
    ["a size that is not a number", (_, d) => d.setFloat64(32, Number.NaN, true), "size NaN"],
    ["a mode above 0o7777", (_, d) => d.setUint16(26, 0o10000, true), "mode 4096"],
    ["nanoseconds beside a 64-bit mtime", (_, d) => d.setUint32(28, 1, true), "bad mtime"],
    [
      "a wide mtime with a whole second of nanoseconds",
      (w, d) => {
        w.meta[24]! |= 0b1000;
        d.setUint32(28, 1_000_000_000, true);
      },
      "bad mtime",
    ],
    [
      "a wide mtime with unsafe seconds",
      (w, d) => {
        w.meta[24]! |= 0b1000;
        d.setFloat64(40, 2 ** 60, true);
      },
      "bad mtime",
    ],
    [
      "a directory with a hash",
      (w) => {
        w.meta[0]! |= 0b100;
      },
      "carries a hash",
    ],
    [
      "a symlink with a hash",
      (w) => {
        w.meta[48]! |= 0b100;
      },
      "carries a hash",
    ],
    [
      "a hashed file without its hash",
      (w) => {
        w.hashes = new Uint8Array(0);
      },
      "fewer",
    ],
    [
      "a hash left over",
      (w) => {
        w.hashes = new Uint8Array(64);
      },
      "more",
    ],
    [
      "a 31-byte hash",
      (w) => {
        w.hashes = new Uint8Array(31);
      },
      "32 bytes each",
    ],
    [
      "a symlink without target",
      (w) => {
        w.targets = [];
      },
      "fewer than symlinks",
    ],
    [
      "a target left over",
      (w) => {
        w.targets = ["a", "b"];
      },
      "targets",
    ],
    [
      "an empty target",
      (w) => {
        w.targets = [""];
      },
      "not empty",
    ],
    [
      "a target with NUL",
      (w) => {
        w.targets = ["a\0b"];
      },
      "no NUL",
    ],
    [
      "a target that is not text",
      (w) => {
        (w.targets as unknown[]) = [5];
      },
      "is text",
    ],
    [
      "a target over 4095 bytes",
      (w) => {
        w.targets = ["x".repeat(4096)];
      },
      "4095",
    ],
    [
      "records shorter than the paths",
      (w) => {
        w.meta = w.meta.subarray(0, 48);
      },
      "meta",
    ],
    [
      "paths that are not a list",
      (w) => {
        (w.paths as unknown) = "a";
      },
      "paths",
    ],
    [
      "a failure that is not {path, error}",
      (w) => {
        (w.failures as unknown) = [1];
      },
      "failures",
    ],
  ])("refuses %s", (_, change, why) => {
    const got = received(tampered(change));
    expect(got).toBeString();
    expect(got as string).toContain(why);
  });

  test.each<[string, unknown]>([
    ["a list", []],
    ["null", null],
    ["an extra key", { ...listingPageToWire(page), more: 1 }],
    ["a missing key", { ...listingPageToWire(page), targets: undefined }],
  ])("refuses a page that is %s", (_, wire) => {
    expect(received(wire)).toBeString();
  });

  test(`refuses a page of more than ${PAGE_ITEMS} entries`, () => {
    const entries = Array.from({ length: PAGE_ITEMS + 1 }, (_, i) => ({
      ...dir,
      path: p(`d${i}`),
    }));
    expect(received(listingPageToWire({ entries, failures: [] }))).toContain("paths");
    expect(received(listingPageToWire({ entries: entries.slice(1), failures: [] }))).toBeObject();
  });

  test("values a peer would refuse are sent as they are, so the peer refuses them", () => {
    const bad = (change: Partial<TreeEntry>) =>
      received(listingPageToWire({ entries: [{ ...file, ...change }], failures: [] }));
    expect(bad({ mode: 0o10000 })).toContain("mode");
    expect(bad({ mode: 70000 })).toContain("mode");
    expect(bad({ size: -3 })).toContain("size");
    expect(bad({ kind: "symlink", hash: undefined })).toContain("not empty");
  });
});
