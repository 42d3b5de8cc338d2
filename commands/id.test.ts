import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ScratchPeer } from "../fixtures/realize-cli.ts";

describe("realize id", () => {
  const peer = new ScratchPeer();
  afterAll(() => peer.cleanup());

  test("before init: exit 2, says to run init", async () => {
    const run = await peer.run("id");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`no config at ${join(peer.realizeHome, "config.toml")}`);
    expect(run.stderr).toContain("realize init --name NAME");
  });

  test("prints what init printed, as text and as JSON", async () => {
    const init = await peer.run("init", "--name", "laptop");
    const line = init.stdout.split("\n")[0]!;
    const text = await peer.run("id");
    expect(text).toEqual({ code: 0, stdout: `${line}\n`, stderr: "" });
    const json = await peer.run("id", "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      name: "laptop",
      pubkey: line.split(" ")[1],
    });
  });

  test("a missing key: exit 2 naming the file", async () => {
    rmSync(join(peer.realizeHome, "key.pem"));
    const run = await peer.run("id");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`no key at ${join(peer.realizeHome, "key.pem")}`);
  });
});
