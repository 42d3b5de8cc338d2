import { describe, expect, test } from "bun:test";
import { memoryLinkPair } from "./memory-transport.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 2));

describe("in-memory links", () => {
  test("each end is named after the other peer; bytes arrive in order, then EOF", async () => {
    const [atA, atB] = memoryLinkPair({ name: "alpha" }, { name: "beta", address: "memory:beta" });
    expect([atA.peer, atA.address, atB.peer, atB.address]).toEqual([
      "beta",
      "memory:beta",
      "alpha",
      "memory",
    ]);
    const got: Buffer[] = [];
    const ended = new Promise((resolve) => atB.stream.on("end", resolve));
    atB.stream.on("data", (chunk: Buffer) => got.push(chunk));
    for (let i = 0; i < 100; i++) atA.stream.write(Buffer.from([i]));
    atA.stream.end();
    await ended;
    expect([...Buffer.concat(got)]).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test("a writer waits while the reader is behind", async () => {
    const [atA, atB] = memoryLinkPair({ name: "alpha" }, { name: "beta" });
    let flushed = 0;
    const big = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 8; i++) atA.stream.write(big, () => flushed++);
    await tick();
    expect(flushed).toBeLessThan(8);
    expect(atA.stream.writableNeedDrain).toBe(true);
    atB.stream.resume();
    while (flushed < 8) await tick();
    expect(atA.stream.writableNeedDrain).toBe(false);
  });

  test("destroying one end gives the other EOF after what was sent, and fails its writes", async () => {
    const [atA, atB] = memoryLinkPair({ name: "alpha" }, { name: "beta" });
    const got: Buffer[] = [];
    atB.stream.on("data", (chunk: Buffer) => got.push(chunk));
    const ended = new Promise((resolve) => atB.stream.on("end", resolve));
    atA.stream.write(Buffer.from("last words"));
    await tick();
    atA.stream.destroy();
    await ended;
    expect(Buffer.concat(got).toString()).toBe("last words");
    const failed = new Promise<Error>((resolve) => atB.stream.on("error", resolve));
    atB.stream.write(Buffer.from("anyone?"));
    expect((await failed).message).toContain("closed");
  });
});
