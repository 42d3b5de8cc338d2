import { describe, expect, test } from "bun:test";
import { encode } from "cbor-x";
import type { RealizeError } from "../model/errors.ts";
import { frameErrorReason } from "./frame-error-reason.ts";
import { facingRawPeer, HELLO, testMethods } from "./rpc-test-support.ts";

function header(length: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(length);
  return bytes;
}

/**
 * A connection facing a raw peer that says hello (or not) and then sends `bytes`; resolves
 * with every violation the connection reported.
 */
async function violations(
  bytes: Buffer,
  options: { hello?: boolean; helloTimeoutMs?: number; end?: boolean } = {},
): Promise<RealizeError[]> {
  const seen: RealizeError[] = [];
  const { connection, theirs, raw } = facingRawPeer({
    helloTimeoutMs: options.helloTimeoutMs,
    onViolation: (reason) => seen.push(reason),
  });
  if (options.hello !== false) raw.send(HELLO);
  if (bytes.length > 0) theirs.stream.write(bytes);
  if (options.end) theirs.stream.end();
  await connection.closed;
  return seen;
}

const frame = (value: unknown) => {
  const body = encode(value);
  return Buffer.concat([header(body.length), body]);
};

describe("frameErrorReason of what RpcConnection reports", () => {
  test.each([
    ["a frame over the limit", "too_large", header(64 * 1024 * 1024), {}],
    ["an empty frame", "empty", header(0), {}],
    ["undecodable CBOR", "bad_cbor", Buffer.concat([header(2), Buffer.from([0xff, 0xff])]), {}],
    [
      "a frame cut short",
      "truncated",
      Buffer.concat([header(10), Buffer.from([1])]),
      { end: true },
    ],
    ["a message of no known shape", "bad_message", frame({ t: "nonsense" }), {}],
    [
      "arguments that fail their schema",
      "bad_arguments",
      frame({ t: "req", id: 1, method: testMethods.echo.name, args: { text: 5 } }),
      {},
    ],
    ["no hello in time", "no_hello", Buffer.alloc(0), { hello: false, helloTimeoutMs: 10 }],
    ["a second hello", "protocol", frame(HELLO), {}],
  ] as const)("%s is %s", async (_what, reason, bytes, options) => {
    const seen = await violations(bytes, options);
    expect(seen.map(frameErrorReason)).toEqual([reason]);
  });

  test("a peer that closes cleanly or says bye is no violation", async () => {
    expect(await violations(Buffer.alloc(0), { end: true })).toEqual([]);
    expect(await violations(frame({ t: "bye" }))).toEqual([]);
  });

  test("another protocol version is reported as version_mismatch", async () => {
    const seen: RealizeError[] = [];
    const { connection, raw } = facingRawPeer({ onViolation: (reason) => seen.push(reason) });
    raw.send({ ...HELLO, version: 99 });
    await connection.closed;
    expect(seen.map((reason) => reason.code)).toEqual(["version_mismatch"]);
  });
});
