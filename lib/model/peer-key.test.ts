import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { decodePeerKey, encodePeerKey, PEER_KEY_PREFIX } from "./peer-key.ts";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
const key = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** RFC 4648 base32 written the slow, obvious way: bits as text, cut into fives. */
function referenceBase32(raw: Uint8Array): string {
  const bits = Array.from(raw, (b) => b.toString(2).padStart(8, "0")).join("");
  const padded = bits.padEnd(Math.ceil(bits.length / 5) * 5, "0");
  return (padded.match(/.{5}/g) ?? []).map((five) => ALPHABET[Number.parseInt(five, 2)]).join("");
}

const valid = encodePeerKey(new Uint8Array(32).fill(0x5a));
const body = valid.slice(PEER_KEY_PREFIX.length);

describe("peer keys", () => {
  test("known encodings", () => {
    expect(encodePeerKey(new Uint8Array(32))).toBe(`ed25519:${"a".repeat(52)}`);
    expect(encodePeerKey(new Uint8Array(32).fill(0xff))).toBe(`ed25519:${"7".repeat(51)}q`);
  });

  test("encoding matches RFC 4648 base32, lowercase, unpadded", () => {
    fc.assert(
      fc.property(key, (raw) => {
        expect(encodePeerKey(raw)).toBe(PEER_KEY_PREFIX + referenceBase32(raw));
      }),
    );
  });

  test("every 32-byte key round-trips", () => {
    fc.assert(
      fc.property(key, (raw) => {
        const text = encodePeerKey(raw);
        expect(text).toHaveLength(PEER_KEY_PREFIX.length + 52);
        expect(decodePeerKey(text)).toEqual(raw);
      }),
    );
  });

  test.each([31, 33, 0, 64])("refuses to encode %p bytes", (n) => {
    expect(() => encodePeerKey(new Uint8Array(n))).toThrow("32 bytes");
  });

  test.each([
    ["no prefix", body, "must start with"],
    ["uppercase prefix", `ED25519:${body}`, "must start with"],
    ["missing colon", `ed25519${body}`, "must start with"],
    ["another scheme", `ssh-ed25519:${body}`, "must start with"],
    ["leading space", ` ${valid}`, "must start with"],
    ["empty", "", "must start with"],
    ["prefix only", PEER_KEY_PREFIX, "not 0"],
    ["one character short", valid.slice(0, -1), "not 51"],
    ["one character long", `${valid}a`, "not 53"],
    ["trailing newline", `${valid}\n`, "not 53"],
    ["base32 padding", `${valid}====`, "not 56"],
    ["uppercase body", PEER_KEY_PREFIX + body.toUpperCase(), "not in the key alphabet"],
    ["digit 0", `${valid.slice(0, -2)}0a`, '"0"'],
    ["digit 1", `${valid.slice(0, -2)}1a`, '"1"'],
    ["digit 8", `${valid.slice(0, -2)}8a`, '"8"'],
    ["equals sign", `${valid.slice(0, -2)}=a`, '"="'],
    ["non-ASCII", `${valid.slice(0, -2)}éa`, '"é"'],
  ])("refuses a key with %s", (_name, text, why) => {
    const result = decodePeerKey(text);
    expect(result).toBeString();
    expect(result as string).toContain(why);
  });

  test("refuses any last character whose unused low bits are set", () => {
    const nonCanonical = [...ALPHABET].filter((_, i) => i % 16 !== 0);
    fc.assert(
      fc.property(key, fc.constantFrom(...nonCanonical), (raw, last) => {
        const text = encodePeerKey(raw).slice(0, -1) + last;
        expect(decodePeerKey(text)).toBe("is not a canonical key encoding");
      }),
    );
  });

  test("any 52 characters of the alphabet decode only if they are what encode would print", () => {
    const text = fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 52, maxLength: 52 });
    fc.assert(
      fc.property(text, (chars) => {
        const decoded = decodePeerKey(PEER_KEY_PREFIX + chars);
        const canonical = ALPHABET.indexOf(chars[51]!) % 16 === 0;
        expect(typeof decoded !== "string").toBe(canonical);
        if (typeof decoded !== "string")
          expect(encodePeerKey(decoded)).toBe(PEER_KEY_PREFIX + chars);
      }),
    );
  });
});
