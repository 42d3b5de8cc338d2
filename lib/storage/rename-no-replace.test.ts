import { expect, test } from "bun:test";
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renameNoReplace } from "./rename-no-replace.ts";
import { tempRootEachTest } from "./test-support.ts";

const t = tempRootEachTest();

test("moves the file when nothing is at the new name", async () => {
  const rename = await renameNoReplace();
  if (rename === null) return;
  await writeFile(join(t.dir, "from"), "content");
  expect(rename(join(t.dir, "from"), join(t.dir, "to"))).toBe("renamed");
  expect(await readdir(t.dir)).toEqual(["to"]);
  expect(await readFile(join(t.dir, "to"), "utf8")).toBe("content");
});

test.each([
  ["a file", (at: string) => writeFile(at, "old")],
  ["an empty directory", (at: string) => mkdir(at)],
  ["a dangling symlink", (at: string) => symlink("nowhere", at)],
])("says 'exists' and moves nothing when %s is at the new name", async (_, make) => {
  const rename = await renameNoReplace();
  if (rename === null) return;
  await writeFile(join(t.dir, "from"), "content");
  await make(join(t.dir, "to"));
  expect(rename(join(t.dir, "from"), join(t.dir, "to"))).toBe("exists");
  expect((await readdir(t.dir)).sort()).toEqual(["from", "to"]);
  expect(await readFile(join(t.dir, "from"), "utf8")).toBe("content");
});

test.each([
  ["ENOENT", "missing", "to"],
  ["ENAMETOOLONG", "from", `${"ü/".repeat(1500)}to`],
])("another failure throws with the errno name as code (%s)", async (code, from, to) => {
  const rename = await renameNoReplace();
  if (rename === null) return;
  await writeFile(join(t.dir, "from"), "content");
  expect(() => rename(join(t.dir, from), join(t.dir, to))).toThrow(
    expect.objectContaining({ code }),
  );
  expect(await readFile(join(t.dir, "from"), "utf8")).toBe("content");
});
