import { describe, expect, test } from "bun:test";
import { Decoder, Encoder } from "cbor-x";
import fc from "fast-check";
import { RealizeError } from "../model/errors.ts";
import { CBOR_OPTIONS } from "./framing.ts";
import {
  errorFromWire,
  errorToWire,
  type Message,
  messageFromWire,
  messageToWire,
} from "./wire.ts";

const encoder = new Encoder(CBOR_OPTIONS);
const decoder = new Decoder(CBOR_OPTIONS);
const overCbor = (value: unknown): unknown => decoder.decode(encoder.encode(value));

const failure = new RealizeError("not_found", "no blob ab12 on nas", { blob: "ab12", size: 3 });

describe("wire messages", () => {
  test.each<Message>([
    { t: "hello", protocol: "realize", version: 1 },
    { t: "bye" },
    { t: "bye", err: failure },
    { t: "req", id: 0, method: "blob.read", args: { range: [0, 10] } },
    { t: "req", id: 7, method: "blob.read", args: null, timeout: 250, window: 16 },
    { t: "res", id: 7, ok: { size: 3 } },
    { t: "err", id: 7, err: failure },
    { t: "chunk", id: 7, data: Buffer.from([1, 2, 3]) },
    { t: "end", id: 7 },
    { t: "credit", id: 7, n: 8 },
    { t: "cancel", id: 7 },
  ])("%o survives the trip over CBOR", (message) => {
    const back = messageFromWire(overCbor(messageToWire(message)));
    expect(back).toEqual(message);
    if ("err" in message && message.err) {
      const err = (back as { err: RealizeError }).err;
      expect(err).toBeInstanceOf(RealizeError);
      expect([err.code, err.message, err.data]).toEqual([
        message.err.code,
        message.err.message,
        message.err.data,
      ]);
    }
  });

  test.each([
    [null, /Invalid type/],
    ["req", /Invalid type/],
    [{ t: "nope" }, /Invalid type: Expected \("hello"/],
    [{ t: "req", id: -1, method: "m", args: 1 }, /^malformed message: id: /],
    [{ t: "req", id: 1.5, method: "m", args: 1 }, /^malformed message: id: /],
    [{ t: "req", id: 1, method: "", args: 1 }, /method: /],
    [{ t: "req", id: 1, method: "m", args: 1, window: 0 }, /window: /],
    [{ t: "credit", id: 1, n: 2 ** 21 }, /n: /],
    [{ t: "res" }, /id: /],
    [{ t: "err", id: 1, err: { code: "x" } }, /err\.message: /],
    [{ t: "hello", protocol: 1, version: 1 }, /protocol: /],
    [{ t: "x".repeat(100_000) }, /^.{0,400}$/],
  ])("malformed message %# is refused with a reason naming the field", (value, reason) => {
    const result = messageFromWire(value);
    expect(result).toBeInstanceOf(RealizeError);
    expect((result as RealizeError).code).toBe("protocol");
    expect((result as RealizeError).message).toMatch(reason);
  });

  test("no decoded value makes the check throw", () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true }),
        (value) => {
          const result = messageFromWire(value);
          expect(result === undefined).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("errors on the wire", () => {
  test("a RealizeError keeps code, message and data; undefined data is dropped", () => {
    const error = new RealizeError("hash_mismatch", "range does not verify", {
      path: "a",
      at: undefined,
    });
    expect(errorToWire(error)).toEqual({
      code: "hash_mismatch",
      message: "range does not verify",
      data: { path: "a" },
    });
  });

  test("any other exception becomes internal, without message or stack", () => {
    const wire = errorToWire(new TypeError("secret /home/me/.config detail"));
    expect(wire).toEqual({ code: "internal", message: "internal error on the peer", data: {} });
  });

  test("a code this build does not know becomes internal, keeping the peer's code", () => {
    const error = errorFromWire({ code: "future_code", message: "m", data: { x: 1 } });
    expect(error.code).toBe("internal");
    expect(error.data).toEqual({ x: 1, remoteCode: "future_code" });
  });
});
