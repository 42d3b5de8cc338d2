import { createRequire } from "node:module";

const requireHere = createRequire(import.meta.url);
let blake2b: ((data: Uint8Array) => Buffer) | undefined;

/**
 * Bytes of strong hash per block when the caller does not choose: 16 (128 bits).
 *
 * Why 16 is enough: a strong hash is compared only where a weak checksum already matched,
 * at most a few times per byte offset of the new content. Even a 2⁴⁰-byte file compared
 * against 2²⁴ candidate blocks at every offset makes < 2⁶⁴ comparisons, so the chance of
 * any accidental false match is < 2⁻⁶⁴. Crafting a collision on purpose needs ~2⁶⁴ BLAKE2b
 * evaluations (birthday bound), and it would still be caught: the receiver checks the whole
 * file's BLAKE2b-256 Merkle root before the `.partial` is renamed. Shorter hashes (down to
 * MIN_STRONG_LENGTH) shrink the signature; that check is what keeps them safe.
 */
export const DEFAULT_STRONG_LENGTH = 16;
/** Fewest strong-hash bytes a signature may carry (64 bits). */
export const MIN_STRONG_LENGTH = 8;
/** Most strong-hash bytes a signature may carry. */
export const MAX_STRONG_LENGTH = 32;

/**
 * The digest a block's strong hash is cut from: BLAKE2b(-512) of `data[start, start + len)`;
 * its first `length` bytes are the strong hash. One native call per block: asking BLAKE2b
 * for a shorter output through its parameter block costs three calls, 1.7× slower on 1 KiB
 * blocks, and a truncated BLAKE2b is as strong as the bits it keeps.
 */
export function blockDigest(data: Uint8Array, start: number, len: number): Uint8Array {
  // The binding is loaded on first use (several ms), not by every command that imports this.
  blake2b ??= (requireHere("@napi-rs/blake-hash") as typeof import("@napi-rs/blake-hash")).blake2b;
  return blake2b(data.subarray(start, start + len));
}

/** The strong hash of `data[start, start + len)`: `length` bytes, a fresh array. */
export function strongHash(
  data: Uint8Array,
  start: number,
  len: number,
  length: number,
): Uint8Array {
  return blockDigest(data, start, len).slice(0, length);
}

/** True when the first `length` bytes of `digest` equal `strongs[at, at + length)`. */
export function sameStrong(
  digest: Uint8Array,
  strongs: Uint8Array,
  at: number,
  length: number,
): boolean {
  for (let i = 0; i < length; i++) {
    if (digest[i] !== strongs[at + i]) return false;
  }
  return true;
}
