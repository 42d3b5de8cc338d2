import { afterAll, describe, expect, test } from "bun:test";
import { ScratchPeer } from "../../fixtures/realize-cli.ts";
import packageJson from "../../package.json";
import { userAgent } from "./user-agent.ts";

test.each([
  [
    "0.1.0",
    { bun: "1.4.5", platform: "linux", arch: "x64" },
    "realize 0.1.0 (bun 1.4.5, linux-x64)",
  ],
  [
    "2.0.0-rc.1",
    { bun: "1.5.0", platform: "darwin", arch: "arm64" },
    "realize 2.0.0-rc.1 (bun 1.5.0, darwin-arm64)",
  ],
])("userAgent of %s on %o", (version, runtime, expected) => {
  expect(userAgent("realize", version, runtime)).toBe(expected);
});

describe("realize --version", () => {
  const peer = new ScratchPeer();
  afterAll(() => peer.cleanup());
  const honest = `realize ${packageJson.version} (bun ${Bun.version}, ${process.platform}-${process.arch})`;

  test("prints the package version and the Bun it runs on, nothing about node", async () => {
    const run = await peer.run("--version");
    expect(run).toEqual({ code: 0, stdout: `${honest}\n`, stderr: "" });
    expect(run.stdout).toContain(packageJson.version);
    expect(run.stdout).toContain("bun");
    expect(run.stdout).not.toContain("node");
  });

  test("the VERSION section of --help says the same", async () => {
    const run = await peer.run("--help");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`VERSION\n  ${honest}\n`);
  });
});
