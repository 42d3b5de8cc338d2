import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ArenaPath } from "../../model/arena-path.ts";
import { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import { planTransfer } from "./plan.ts";

const h = (n: number) => Hash.fromBytes(new Uint8Array(32).fill(n));

function file(path: string, hash = 1, extra: Partial<TreeEntry> = {}): TreeEntry {
  return {
    path: ArenaPath.parse(path),
    kind: "file",
    size: 10,
    mtimeNs: 5n,
    mode: 0o644,
    hash: h(hash),
    ...extra,
  };
}
function dir(path: string): TreeEntry {
  return { path: ArenaPath.parse(path), kind: "dir", size: 0, mtimeNs: 5n, mode: 0o755 };
}
function link(path: string, target: string): TreeEntry {
  return {
    path: ArenaPath.parse(path),
    kind: "symlink",
    size: target.length,
    mtimeNs: 5n,
    mode: 0o777,
    target,
  };
}
const byPath = (entries: TreeEntry[]) => new Map(entries.map((e) => [e.path.text, e]));
const actions = (src: TreeEntry[], dst: TreeEntry[]) =>
  planTransfer(src, byPath(dst)).map((p) => `${p.action} ${p.entry.path.text}`);

describe("planTransfer", () => {
  test.each<[string, TreeEntry, TreeEntry | undefined, string]>([
    ["missing file is sent", file("a"), undefined, "send"],
    ["same content and meta is unchanged", file("a"), file("a"), "unchanged"],
    ["different hash is sent", file("a", 1), file("a", 2), "send"],
    ["different size is sent", file("a", 1, { size: 11 }), file("a", 1), "send"],
    ["same content, other mtime is meta", file("a", 1, { mtimeNs: 6n }), file("a"), "meta"],
    ["same content, exec bit added is meta", file("a", 1, { mode: 0o755 }), file("a"), "meta"],
    ["a file where a symlink stands replaces it", file("a"), link("a", "x"), "send"],
    ["a file where a directory stands is refused", file("a"), dir("a"), "refuse"],
    ["missing dir is made", dir("d"), undefined, "mkdir"],
    ["existing dir is unchanged", dir("d"), dir("d"), "unchanged"],
    ["a dir where a file stands is refused", dir("d"), file("d"), "refuse"],
    ["a dir where a symlink stands is refused", dir("d"), link("d", "/etc"), "refuse"],
    ["missing symlink is linked", link("l", "t"), undefined, "link"],
    ["same symlink is unchanged", link("l", "t"), link("l", "t"), "unchanged"],
    ["other target is relinked", link("l", "t"), link("l", "u"), "link"],
    ["a symlink replaces a file", link("l", "t"), file("l"), "link"],
    ["a symlink where a directory stands is refused", link("l", "t"), dir("l"), "refuse"],
  ])("%s", (_name, src, dst, action) => {
    const [item] = planTransfer([src], byPath(dst ? [dst] : []));
    expect(item?.action).toBe(action as never);
  });

  test("a changed file carries the destination's file as its delta base", () => {
    const [item] = planTransfer([file("a", 1)], byPath([file("a", 2)]));
    expect(item).toMatchObject({ action: "send", base: { hash: h(2) } });
  });

  test("everything below a directory replaced by a symlink on the destination is refused by name", () => {
    const src = [dir("d"), dir("d/e"), file("d/e/f"), file("d/g"), file("dx"), file("z")];
    const plan = planTransfer(src, byPath([link("d", "/etc")]));
    expect(plan.map((p) => `${p.action} ${p.entry.path.text}`)).toEqual([
      "refuse d",
      "refuse d/e",
      "refuse d/e/f",
      "refuse d/g",
      "send dx",
      "send z",
    ]);
    const f = plan.find((p) => p.entry.path.text === "d/e/f");
    expect(f?.action === "refuse" && f.reason).toContain("refusing to write through it (at d)");
  });

  test("directories come before their children whatever the listing order", () => {
    expect(actions([file("a/b/c"), dir("a/b"), dir("a"), file("a b")], [])).toEqual([
      "mkdir a",
      "mkdir a/b",
      "send a/b/c",
      "send a b",
    ]);
  });

  test("paths only on the destination are left alone", () => {
    expect(actions([file("a")], [file("a"), file("only-there")])).toEqual(["unchanged a"]);
  });

  test("planning a tree against itself changes nothing (property)", () => {
    const name = fc.constantFrom("a", "b", "c d", "é");
    const pathArb = fc.array(name, { minLength: 1, maxLength: 3 }).map((c) => c.join("/"));
    fc.assert(
      fc.property(fc.uniqueArray(pathArb, { maxLength: 20 }), (paths) => {
        const tree: TreeEntry[] = [];
        const seen = new Set<string>();
        for (const p of paths) {
          const parts = p.split("/");
          for (let i = 1; i < parts.length; i++) {
            const d = parts.slice(0, i).join("/");
            if (!seen.has(d)) tree.push(dir(d));
            seen.add(d);
          }
        }
        for (const p of paths) if (!seen.has(p)) tree.push(file(p, p.length));
        const plan = planTransfer(tree, byPath(tree));
        expect(plan.every((p) => p.action === "unchanged")).toBe(true);
        expect(plan.length).toBe(tree.length);
      }),
    );
  });
});
