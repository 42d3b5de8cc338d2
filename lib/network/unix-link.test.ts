import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rejection } from "../../fixtures/rejection.ts";
import type { Link } from "./link.ts";
import { LOCAL_PEER, unixDial, unixListen } from "./unix-link.ts";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const scratch = () => {
  dir = mkdtempSync(join(tmpdir(), "realize-unix-"));
  return join(dir, "control.sock");
};

describe("UNIX links", () => {
  test("a client reaches the listener; both ends are the local peer; bytes cross", async () => {
    const path = scratch();
    const accepted: Link[] = [];
    const listener = await unixListen(path, (link) => {
      accepted.push(link);
      link.stream.pipe(link.stream);
    });
    const client = await unixDial(path);
    expect(client.peer).toBe(LOCAL_PEER);
    const echoed = new Promise<string>((resolve) =>
      client.stream.once("data", (chunk: Buffer) => resolve(chunk.toString())),
    );
    client.stream.write("hello");
    expect(await echoed).toBe("hello");
    expect(accepted.map((link) => link.peer)).toEqual([LOCAL_PEER]);
    client.stream.destroy();
    await listener.close();
  });

  test("the socket has mode 0600, and closing removes it", async () => {
    const path = scratch();
    const umask = process.umask();
    const listener = await unixListen(path, () => {});
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(process.umask()).toBe(umask);
    await listener.close();
    expect(existsSync(path)).toBe(false);
  });

  test.each([
    ["no socket file", "ENOENT", () => {}],
    ["a file nobody listens on", "ECONNREFUSED", (path: string) => writeFileSync(path, "")],
  ])("dialling %s is unreachable with errno %s", async (_what, errno, prepare) => {
    const path = scratch();
    prepare(path);
    const error = await rejection(unixDial(path));
    expect([error.code, error.data.errno, error.data.file]).toEqual(["unreachable", errno, path]);
  });

  test("listening on a path in use fails with io naming the path", async () => {
    const path = scratch();
    const listener = await unixListen(path, () => {});
    const error = await rejection(unixListen(path, () => {}));
    expect(error.code).toBe("io");
    expect(error.message).toContain(path);
    await listener.close();
  });
});
