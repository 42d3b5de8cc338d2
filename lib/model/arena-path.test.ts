import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  ArenaPath,
  COMPONENT_MAX_BYTES,
  isPartialName,
  PATH_MAX_BYTES,
  partialNameFor,
  partialPathFor,
} from "./arena-path.ts";
import { RealizeError } from "./errors.ts";

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** Characters of 1 to 4 UTF-8 bytes plus the ones that make names tricky. */
const tricky = fc.constantFrom("a", "Z", "-", " ", ".", "\\", "\n", "~", "é", "日", "😀", "\u200b");
const component = fc
  .oneof(
    fc.string({ unit: "binary", minLength: 1, maxLength: 12 }),
    fc.string({ unit: tricky, minLength: 1, maxLength: 12 }),
    fc.string({ unit: tricky, minLength: 60, maxLength: 130 }),
  )
  .map((c) => c.replaceAll("/", "_").replaceAll("\0", "_"))
  .filter((c) => c !== "." && c !== ".." && bytes(c) <= COMPONENT_MAX_BYTES);
const components = fc
  .array(component, { minLength: 1, maxLength: 8 })
  .filter((cs) => bytes(cs.join("/")) <= PATH_MAX_BYTES);

/** Components that make a path invalid wherever they stand. */
const injection = fc.constantFrom(
  "..",
  ".",
  "",
  "nul\0here",
  "\0",
  "x".repeat(COMPONENT_MAX_BYTES + 1),
  "😀".repeat(64),
);

function expectRefused(text: string): void {
  expect(ArenaPath.check(text)).toBeString();
  expect(ArenaPath.tryParse(text)).toBeUndefined();
  let error: unknown;
  try {
    ArenaPath.parse(text);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(RealizeError);
  expect((error as RealizeError).code).toBe("bad_path");
  expect((error as RealizeError).data.path).toBe(text);
}

describe("ArenaPath validation", () => {
  test.each([
    "a",
    "a b",
    " leading space",
    "trailing space ",
    "-rf",
    "--help",
    "...",
    "....",
    ".hidden",
    "..hidden",
    "hidden.",
    "dir/.git/config",
    "a/.../b",
    "é/日本語/😀.txt",
    "back\\slash",
    "C:\\Windows",
    "new\nline",
    "tab\there",
    "~",
    "~user",
    "*?[x]",
    "a:b",
    "zero\u200bwidth",
    "x".repeat(COMPONENT_MAX_BYTES),
    "日".repeat(85),
    `${"d".repeat(200)}/`.repeat(20) + "f".repeat(PATH_MAX_BYTES - 201 * 20),
  ])("accepts %p", (text) => {
    const path = ArenaPath.parse(text);
    expect(path.text).toBe(text);
    expect(path.components.join("/")).toBe(text);
  });

  test.each([
    ["", "is empty"],
    ["/", "is absolute"],
    ["/etc/passwd", "is absolute"],
    ["//server/share", "is absolute"],
    [".", '"." component'],
    ["..", '".." component'],
    ["../a", '".." component'],
    ["a/..", '".." component'],
    ["a/../b", '".." component'],
    ["a/./b", '"." component'],
    ["./a", '"." component'],
    ["a/", "empty component"],
    ["a//b", "empty component"],
    ["a\0b", "NUL"],
    ["\0", "NUL"],
    ["a\ud800b", "not valid Unicode"],
    ["\udc00", "not valid Unicode"],
    ["x".repeat(COMPONENT_MAX_BYTES + 1), "256 bytes"],
    ["é".repeat(128), "256 bytes"],
    [`ok/${"😀".repeat(64)}`, "256 bytes"],
    [`${"d/".repeat(2048)}f`, "4097 bytes long"],
  ])("refuses %p: it %s", (text, why) => {
    expectRefused(text);
    expect(ArenaPath.check(text)).toContain(why);
  });

  test("the error names the path and why, and cuts a very long path short", () => {
    expect(() => ArenaPath.parse("a/../b")).toThrow(
      'refusing path "a/../b": it has a ".." component',
    );
    const long = "x".repeat(5000);
    const error = (() => {
      try {
        ArenaPath.parse(long);
      } catch (e) {
        return e as RealizeError;
      }
    })();
    expect(error?.message.length).toBeLessThan(400);
    expect(error?.data.path).toBe(long);
  });

  test("every valid generated path round-trips", () => {
    fc.assert(
      fc.property(components, (cs) => {
        const text = cs.join("/");
        expect(ArenaPath.check(text)).toBeUndefined();
        const path = ArenaPath.parse(text);
        expect(path.text).toBe(text);
        expect(path.components).toEqual(cs);
        expect(path.name).toBe(cs[cs.length - 1]!);
        expect(ArenaPath.parse(path.toString()).equals(path)).toBe(true);
        expect(JSON.stringify({ path })).toBe(JSON.stringify({ path: text }));
      }),
    );
  });

  test("a path with an injected .., ., empty, NUL or over-long component is refused", () => {
    fc.assert(
      fc.property(components, injection, fc.nat(), (cs, bad, at) => {
        const mixed = [...cs];
        mixed.splice(at % (cs.length + 1), 0, bad);
        expectRefused(mixed.join("/"));
      }),
    );
  });

  test("a path with a leading or trailing / is refused", () => {
    fc.assert(
      fc.property(components, (cs) => {
        expectRefused(`/${cs.join("/")}`);
        expectRefused(`${cs.join("/")}/`);
      }),
    );
  });
});

describe("ArenaPath navigation", () => {
  const p = (text: string) => ArenaPath.parse(text);

  test("name, parent and join", () => {
    const path = p("photos/2024/beach.jpg");
    expect(path.name).toBe("beach.jpg");
    expect(path.parent()?.text).toBe("photos/2024");
    expect(path.parent()?.parent()?.text).toBe("photos");
    expect(path.parent()?.parent()?.parent()).toBeUndefined();
    expect(p("photos").join("2024/beach.jpg").equals(path)).toBe(true);
  });

  test.each(["..", ".", "", "/abs", "a/", "a\0"])("join refuses %p", (name) => {
    expect(() => p("dir").join(name)).toThrow(RealizeError);
  });

  test("join refuses a result longer than 4096 bytes", () => {
    const deep = p(`${"d".repeat(200)}/`.repeat(20).slice(0, -1));
    expect(() => deep.join("x".repeat(100))).toThrow("at most 4096");
  });

  test("tryJoin(dir, name) is tryParse of the joined text, whatever the name", () => {
    const name = fc.oneof(component, injection, fc.constantFrom("a/b", "/x", "x/", "a//b"));
    fc.assert(
      fc.property(fc.option(components, { nil: undefined }), name, (cs, n) => {
        const dir = cs && ArenaPath.parse(cs.join("/"));
        const joined = dir === undefined ? n : `${dir.text}/${n}`;
        expect(ArenaPath.tryJoin(dir, n)?.text).toBe(ArenaPath.tryParse(joined)?.text);
      }),
    );
  });

  test("tryJoin refuses a result longer than 4096 bytes", () => {
    const deep = p(`${"d".repeat(200)}/`.repeat(20).slice(0, -1));
    const fits = PATH_MAX_BYTES - bytes(deep.text) - 1;
    expect(ArenaPath.tryJoin(deep, "x".repeat(fits))?.name).toBe("x".repeat(fits));
    expect(ArenaPath.tryJoin(deep, "x".repeat(fits + 1))).toBeUndefined();
  });

  test("parent().join(name) gives the path back", () => {
    fc.assert(
      fc.property(components, (cs) => {
        const path = ArenaPath.parse(cs.join("/"));
        const parent = path.parent();
        const again = parent === undefined ? ArenaPath.parse(path.name) : parent.join(path.name);
        expect(again.equals(path)).toBe(true);
      }),
    );
  });

  test.each([
    ["a", "a", true],
    ["a/b", "a", true],
    ["a/b/c", "a/b", true],
    ["ab", "a", false],
    ["a b/c", "a", false],
    ["a", "a/b", false],
    ["b/a", "a", false],
  ])("%p is within %p: %p", (path, dir, within) => {
    expect(p(path).isWithin(p(dir))).toBe(within);
  });

  test("isWithin is the component-prefix relation", () => {
    fc.assert(
      fc.property(components, components, fc.nat(8), (a, b, keep) => {
        const shared = a.slice(0, Math.max(1, keep % (a.length + 1)));
        for (const dir of [b, shared]) {
          const prefix = dir.length <= a.length && dir.every((c, i) => c === a[i]);
          expect(p(a.join("/")).isWithin(p(dir.join("/")))).toBe(prefix);
        }
      }),
    );
  });
});

describe("ArenaPath.compare", () => {
  const sorted = (texts: string[]) =>
    texts
      .map((t) => ArenaPath.parse(t))
      .sort(ArenaPath.compare)
      .map((x) => x.text);

  test("puts a directory right before its children", () => {
    expect(sorted(["a0", "a b", "a/b", "a", "a/b/c", "a.txt", "a/a"])).toEqual([
      "a",
      "a/a",
      "a/b",
      "a/b/c",
      "a b",
      "a.txt",
      "a0",
    ]);
  });

  test("orders by code point, the UTF-8 byte order, not UTF-16 units", () => {
    expect(sorted(["\uffff", "😀", "\ue000", "z"])).toEqual(["z", "\ue000", "\uffff", "😀"]);
  });

  test("agrees with comparing UTF-8 bytes component by component", () => {
    const model = (a: string[], b: string[]): number => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const order = Buffer.compare(Buffer.from(a[i]!), Buffer.from(b[i]!));
        if (order !== 0) return order;
      }
      return a.length - b.length;
    };
    fc.assert(
      fc.property(components, components, (a, b) => {
        const order = ArenaPath.compare(ArenaPath.parse(a.join("/")), ArenaPath.parse(b.join("/")));
        expect(Math.sign(order)).toBe(Math.sign(model(a, b)));
      }),
    );
  });

  test("a sorted list keeps every subtree contiguous", () => {
    const small = fc.array(fc.constantFrom("a", "b", "a b", "a.b", "é", "😀", "-"), {
      minLength: 1,
      maxLength: 4,
    });
    fc.assert(
      fc.property(fc.array(small, { minLength: 1, maxLength: 25 }), (list) => {
        const paths = list.map((cs) => ArenaPath.parse(cs.join("/"))).sort(ArenaPath.compare);
        for (const dir of paths) {
          const inside = paths.map((x) => x.isWithin(dir));
          const first = inside.indexOf(true);
          const last = inside.lastIndexOf(true);
          expect(inside.slice(first, last + 1).every(Boolean)).toBe(true);
          expect(paths[first]!.equals(dir)).toBe(true);
        }
      }),
    );
  });
});

describe("partial names", () => {
  test.each([
    ["photo.jpg", ".photo.jpg.realize-partial"],
    [".hidden", "..hidden.realize-partial"],
    ["...", ".....realize-partial"],
    ["-rf", ".-rf.realize-partial"],
    ["日本", ".日本.realize-partial"],
  ])("partialNameFor(%p) is %p", (name, partial) => {
    expect(partialNameFor(name)).toBe(partial);
    expect(isPartialName(partial)).toBe(true);
  });

  test.each([
    ["photo.jpg", false],
    [".realize-partial", false],
    ["..realize-partial", false],
    ["x.realize-partial", false],
    [".x.realize-partial.bak", false],
    [".x.realize-partial", true],
  ])("isPartialName(%p) is %p", (name, expected) => {
    expect(isPartialName(name)).toBe(expected);
  });

  test.each(["", ".", "..", "a/b", "a\0", "x".repeat(256)])("partialNameFor refuses %p", (name) => {
    expect(() => partialNameFor(name)).toThrow(RealizeError);
  });

  test("names up to 238 bytes keep the full form; longer ones are shortened to 255 bytes", () => {
    expect(partialNameFor("x".repeat(238))).toBe(`.${"x".repeat(238)}.realize-partial`);
    const short = partialNameFor("x".repeat(239));
    expect(short).toMatch(/^\.x{205}~[0-9a-f]{32}\.realize-partial$/);
    expect(bytes(short)).toBe(COMPONENT_MAX_BYTES);
  });

  test("shortening never splits a character", () => {
    const name = "日".repeat(85);
    const partial = partialNameFor(name);
    expect(partial.isWellFormed()).toBe(true);
    expect(partial).toMatch(/^\.(日+)~[0-9a-f]{32}\.realize-partial$/);
    expect(bytes(partial)).toBeLessThanOrEqual(COMPONENT_MAX_BYTES);
  });

  test("every name's partial is a valid, deterministic partial name", () => {
    fc.assert(
      fc.property(component, (name) => {
        const partial = partialNameFor(name);
        expect(ArenaPath.check(partial)).toBeUndefined();
        expect(partial).not.toContain("/");
        expect(bytes(partial)).toBeLessThanOrEqual(COMPONENT_MAX_BYTES);
        expect(isPartialName(partial)).toBe(true);
        expect(partialNameFor(name)).toBe(partial);
      }),
    );
  });

  test("distinct long names sharing a prefix get distinct partials", () => {
    const prefix = "p".repeat(240);
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 15 }),
        fc.string({ maxLength: 15 }),
        (a, b) => {
          fc.pre(a !== b && !`${a}${b}`.includes("/") && !`${a}${b}`.includes("\0"));
          expect(partialNameFor(prefix + a)).not.toBe(partialNameFor(prefix + b));
        },
      ),
    );
  });

  test.each([
    ["a/b.txt", false],
    [".x.realize-partial", true],
    ["d/.x.realize-partial/f", true],
    ["d/x.realize-partial/f", false],
    ["d/.realize-partial", false],
  ])("namesPartial(%p) is %p", (text, expected) => {
    expect(ArenaPath.parse(text).namesPartial()).toBe(expected);
  });

  test("partialPathFor puts the partial beside its target", () => {
    expect(partialPathFor(ArenaPath.parse("a/b/c.txt")).text).toBe("a/b/.c.txt.realize-partial");
    expect(partialPathFor(ArenaPath.parse("top")).text).toBe(".top.realize-partial");
  });
});
