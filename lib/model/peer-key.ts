import { RealizeError } from "./errors.ts";

/**
 * A peer's public key as users see it: `ed25519:` followed by the 32 raw key bytes in
 * lowercase RFC 4648 base32 without padding (52 characters). Base32 has no look-alike
 * characters and survives copy and paste through terminals, mail and TOML.
 */
export const PEER_KEY_PREFIX = "ed25519:";
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
const KEY_BYTES = 32;
const ENCODED_LENGTH = 52;

/** Encodes the 32 raw bytes of an ED25519 public key as `ed25519:…`. */
export function encodePeerKey(raw: Uint8Array): string {
  if (raw.length !== KEY_BYTES) {
    throw new RealizeError("internal", `an ED25519 public key has 32 bytes, not ${raw.length}`);
  }
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of raw) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return PEER_KEY_PREFIX + out;
}

/**
 * Decodes `ed25519:…` into the 32 raw key bytes. Returns a reason string instead of bytes
 * when the text is not exactly what `encodePeerKey` produces (wrong prefix, length,
 * alphabet, or non-zero padding bits), so callers can name the offending key.
 */
export function decodePeerKey(text: string): Uint8Array | string {
  if (!text.startsWith(PEER_KEY_PREFIX)) return `must start with "${PEER_KEY_PREFIX}"`;
  const body = text.slice(PEER_KEY_PREFIX.length);
  if (body.length !== ENCODED_LENGTH) {
    return `must have ${ENCODED_LENGTH} characters after "${PEER_KEY_PREFIX}", not ${body.length}`;
  }
  const out = new Uint8Array(KEY_BYTES);
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const ch of body) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) return `has "${ch}", which is not in the key alphabet (a-z, 2-7)`;
    value = ((value << 5) | digit) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out[index++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0) return "is not a canonical key encoding";
  return out;
}
