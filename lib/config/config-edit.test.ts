import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parse } from "smol-toml";
import { addTable, editConfig, removeTable } from "./config-edit.ts";

const KEY_A = "ed25519:vobyudsdqhhsaklvzl2wdpi2ec7ee357vv4fnmucjoepino4y3la";

describe("addTable", () => {
  test("appends after one blank line and keeps everything before", () => {
    const text = '# mine\n[peer]\nname = "x" # me\n';
    expect(addTable(text, "peers", "nas", { pubkey: KEY_A, address: undefined })).toBe(
      `# mine\n[peer]\nname = "x" # me\n\n[peers.nas]\npubkey = "${KEY_A}"\n`,
    );
  });

  test("does not pile up blank lines, and ends a last line without newline", () => {
    expect(addTable("[peer]\n\n", "arenas", "a", { mode: "partial" })).toBe(
      '[peer]\n\n[arenas.a]\nmode = "partial"\n',
    );
    expect(addTable("[peer]", "arenas", "a", { cache_max: 5 })).toBe(
      "[peer]\n\n[arenas.a]\ncache_max = 5\n",
    );
  });

  test("keeps CRLF line ends", () => {
    expect(addTable("[peer]\r\n", "arenas", "a", { mode: "partial" })).toBe(
      '[peer]\r\n\r\n[arenas.a]\r\nmode = "partial"\r\n',
    );
  });

  test("quotes values so that TOML reads them back unchanged", () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const out = addTable("", "arenas", "a", { root: value });
        expect(parse(out)).toEqual({ arenas: { a: { root: value } } });
      }),
    );
  });
});

describe("removeTable", () => {
  const TEXT = `# realize config
[peer]
name = "laptop"

# the NAS in the cellar
[peers.nas]
address = "nas.local:7744" # fixed IP
pubkey = "k1"
# no rate cap: same switch

[peers.phone]
pubkey = "k2"
# phone's own note
[arenas.photos]
root = "/p"

# trailing note about arenas
`;

  test.each([
    [
      "nas",
      `# realize config
[peer]
name = "laptop"

[peers.phone]
pubkey = "k2"
# phone's own note
[arenas.photos]
root = "/p"

# trailing note about arenas
`,
    ],
    [
      "phone",
      `# realize config
[peer]
name = "laptop"

# the NAS in the cellar
[peers.nas]
address = "nas.local:7744" # fixed IP
pubkey = "k1"
# no rate cap: same switch

# phone's own note
[arenas.photos]
root = "/p"

# trailing note about arenas
`,
    ],
  ])("removing %p keeps other tables' comments", (name, expected) => {
    expect(removeTable(TEXT, "peers", name)).toBe(expected);
  });

  test("removing the last table keeps a comment after a blank line", () => {
    expect(removeTable(TEXT, "arenas", "photos")).toBe(`# realize config
[peer]
name = "laptop"

# the NAS in the cellar
[peers.nas]
address = "nas.local:7744" # fixed IP
pubkey = "k1"
# no rate cap: same switch

[peers.phone]
pubkey = "k2"

# trailing note about arenas
`);
  });

  test("add then remove gives back the text", () => {
    const text = '[peer]\nname = "x"\n';
    const added = addTable(text, "peers", "nas", { pubkey: KEY_A });
    expect(removeTable(added, "peers", "nas")).toBe(text);
  });

  test("a table not written as a header cannot be removed", () => {
    expect(removeTable('[peers]\nnas = { pubkey = "k" }\n', "peers", "nas")).toBeUndefined();
    expect(removeTable("[peer]\n", "peers", "nas")).toBeUndefined();
  });

  test("a header inside a multi-line string is not a table", () => {
    const text = '[peer]\nname = "x"\nlisten = """\n[peers.nas]\n"""\n';
    expect(removeTable(text, "peers", "nas")).toBeUndefined();
  });
});

describe("editConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "realize-edit-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("writes the edit, keeps the mode, returns the new config", async () => {
    const file = join(dir, "ok.toml");
    writeFileSync(file, '[peer]\nname = "x" # keep me\n');
    chmodSync(file, 0o640);
    const config = await editConfig(file, (text) =>
      addTable(text, "arenas", "a", { mode: "partial" }),
    );
    expect(config.arenas.a?.mode).toBe("partial");
    expect(readFileSync(file, "utf8")).toContain("# keep me");
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  test("a bad config is refused before the edit runs, and is left as it was", async () => {
    const file = join(dir, "bad.toml");
    const text = '[peer]\nname = "x"\nbogus = 1\n';
    writeFileSync(file, text);
    let ran = false;
    const err = await editConfig(file, (t) => {
      ran = true;
      return t;
    }).catch((e) => e);
    expect(err).toMatchObject({ code: "config", data: { line: 3, key: "peer.bogus" } });
    expect(ran).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  test("an edit that would make the config invalid is not written", async () => {
    const file = join(dir, "inline.toml");
    const text = 'arenas = {}\n[peer]\nname = "x"\n';
    writeFileSync(file, text);
    const err = await editConfig(file, (t) => addTable(t, "arenas", "a", {})).catch((e) => e);
    expect(err).toMatchObject({ code: "config" });
    expect(err.message).toContain("edit the file by hand");
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  test("a missing config is config_missing", async () => {
    const file = join(dir, "none.toml");
    await expect(editConfig(file, (t) => t)).rejects.toMatchObject({ code: "config_missing" });
  });
});
