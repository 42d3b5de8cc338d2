import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { dottedKey, lineOfKey, tomlLines } from "./toml-lines.ts";

const TEXT = `# comment = not a key
[peer]
name = "laptop"   # trailing comment

[peers.nas]
address = "nas.local:7744"
  pubkey="x"
[ peers . "my peer" ]
'max_rate' = 5
[arenas]
photos.root = "/p"
"docs" . mode = "partial"
inline = { root = "/i" }
notes = """
fake = 1
[fake.table]
"""
after = 1
[[list]]
item = 1
`;

describe("tomlLines", () => {
  const lines = tomlLines(TEXT);

  test.each([
    [["peer"], 2],
    [["peer", "name"], 3],
    [["peers", "nas"], 5],
    [["peers", "nas", "address"], 6],
    [["peers", "nas", "pubkey"], 7],
    [["peers", "my peer"], 8],
    [["peers", "my peer", "max_rate"], 9],
    [["arenas", "photos", "root"], 11],
    [["arenas", "docs", "mode"], 12],
    [["arenas", "inline"], 13],
    [["arenas", "notes"], 14],
    [["arenas", "after"], 18],
    [["list", "item"], 20],
  ])("finds %p at line %p", (path, line) => {
    expect(lineOfKey(lines, path)).toBe(line);
  });

  test("skips comments and the inside of multi-line strings", () => {
    expect(lines.map((l) => l.path.join("."))).not.toContain("comment");
    expect(lines.filter((l) => l.path.includes("fake"))).toEqual([]);
  });

  test.each([
    [["peers", "nas", "max_rate"], 5, "a missing key points at its table"],
    [["arenas", "inline", "root"], 13, "a key in an inline table points at its line"],
    [["arenas", "photos"], 11, "a table defined by a dotted key is found there"],
    [["nothing"], undefined, "an unknown first segment is not found"],
  ])("%p → line %p: %s", (path, line) => {
    expect(lineOfKey(lines, path)).toBe(line);
  });

  test("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."[]=.\"'#\n \\abc") }), (text) => {
        tomlLines(text);
      }),
    );
  });

  test("handles CRLF line ends", () => {
    expect(lineOfKey(tomlLines("[peer]\r\nname = 1\r\n"), ["peer", "name"])).toBe(2);
  });
});

describe("dottedKey", () => {
  test.each([
    [["peers", "nas", "pubkey"], "peers.nas.pubkey"],
    [["peers", "my peer"], 'peers."my peer"'],
    [["a", 0, "b"], "a[0].b"],
  ] as const)("%p is written %p", (path, text) => {
    expect(dottedKey(path)).toBe(text);
  });
});
