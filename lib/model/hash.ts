/**
 * A blob's identity: the 32-byte BLAKE2b-256 Merkle root of its content (lib/hash).
 * Immutable; compared by value.
 */
export class Hash {
  static readonly BYTES = 32;
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** Wraps 32 bytes (copied, so later changes to `bytes` do not leak in). */
  static fromBytes(bytes: Uint8Array): Hash {
    if (bytes.length !== Hash.BYTES) {
      throw new RangeError(`a hash has ${Hash.BYTES} bytes, not ${bytes.length}`);
    }
    return new Hash(new Uint8Array(bytes));
  }

  /** Parses 64 lowercase hex digits; returns undefined for anything else. */
  static fromHex(hex: string): Hash | undefined {
    if (!/^[0-9a-f]{64}$/.test(hex)) return undefined;
    return new Hash(Uint8Array.from(Buffer.from(hex, "hex")));
  }

  /** 64 lowercase hex digits. */
  toHex(): string {
    return Buffer.from(this.bytes).toString("hex");
  }

  equals(other: Hash): boolean {
    return Buffer.compare(this.bytes, other.bytes) === 0;
  }

  toString(): string {
    return this.toHex();
  }
}
