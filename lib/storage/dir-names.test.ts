import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { dirNames } from "./dir-names.ts";
import { tempRootEachTest } from "./test-support.ts";

const t = tempRootEachTest();

/** Creates a file whose name is exactly `name` (raw bytes) in the test root. */
function touch(name: Uint8Array): void {
  writeFileSync(Buffer.concat([Buffer.from(`${t.dir}/`), name]), "");
}

describe("dirNames", () => {
  test("valid UTF-8 names come back as text, a real U+FFFD included", async () => {
    for (const name of ["plain", "日本 語\n", "ok\uFFFDname", "😀"]) touch(Buffer.from(name));
    const listed = await dirNames(t.dir);
    expect(listed.names.sort()).toEqual(["plain", "日本 語\n", "ok\uFFFDname", "😀"].sort());
    expect(listed.undecodable).toEqual([]);
  });

  test.each([
    ["a stray byte", [0x66, 0xff], "f\\xff"],
    ["a UTF-16 surrogate", [0x61, 0xed, 0xa0, 0x80], "a\\xed\\xa0\\x80"],
    ["an overlong encoding", [0x63, 0xc0, 0xaf], "c\\xc0\\xaf"],
    ["a code point above U+10FFFF", [0xf4, 0x90, 0x80, 0x80], "\\xf4\\x90\\x80\\x80"],
    ["a cut sequence", [0x67, 0xe2, 0x82], "g\\xe2\\x82"],
  ])(
    "a name with %s is undecodable, shown byte by byte; the others are listed",
    async (_, bytes, shown) => {
      touch(Uint8Array.from(bytes));
      touch(Buffer.from("ok\uFFFDname"));
      touch(Buffer.from("fine"));
      const listed = await dirNames(t.dir);
      expect(listed.undecodable).toEqual([shown]);
      expect(listed.names.sort()).toEqual(["fine", "ok\uFFFDname"]);
    },
  );

  test("a missing directory is an io error naming it", async () => {
    await expect(dirNames(`${t.dir}/nope`)).rejects.toMatchObject({ code: "not_found" });
  });
});
