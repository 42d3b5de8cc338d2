import { createHash, createPublicKey, type KeyObject, sign, X509Certificate } from "node:crypto";
import { RealizeError } from "../model/errors.ts";

/**
 * Self-signed X.509 v3 certificates for a peer's ED25519 key, encoded by hand in DER
 * (neither Bun nor Node can create certificates). Nothing trusts these certificates as a
 * chain: they only carry the public key into the TLS handshake, where CertificateVerify
 * proves possession of the private key and the pinned config key decides trust.
 */

const OID_ED25519 = "1.3.101.112";
const OID_COMMON_NAME = "2.5.4.3";
const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const OID_KEY_USAGE = "2.5.29.15";

/** The 12-byte DER prefix of an ED25519 SubjectPublicKeyInfo; the raw key follows it. */
const ED25519_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

function length(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  return Buffer.concat([Uint8Array.from([tag, ...length(body.length)]), body]);
}

const sequence = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
const set = (...parts: Uint8Array[]) => tlv(0x31, ...parts);
const explicit = (n: number, ...parts: Uint8Array[]) => tlv(0xa0 | n, ...parts);
const octets = (bytes: Uint8Array) => tlv(0x04, bytes);
const bitString = (bytes: Uint8Array) => tlv(0x03, Uint8Array.of(0), bytes);
const boolean = (v: boolean) => tlv(0x01, Uint8Array.of(v ? 0xff : 0));
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, "utf8"));
const ascii = (tag: number, text: string) => tlv(tag, Buffer.from(text, "ascii"));

function integer(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1] ?? 0) < 0x80) start++;
  const body = bytes.subarray(start);
  return tlv(0x02, (body[0] ?? 0) >= 0x80 ? Buffer.concat([Uint8Array.of(0), body]) : body);
}

function oid(dotted: string): Uint8Array {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const out = [first * 40 + second];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) groups.unshift(0x80 | (v & 0x7f));
    out.push(...groups);
  }
  return tlv(0x06, Uint8Array.from(out));
}

const ED25519_ALGORITHM = sequence(oid(OID_ED25519));

function name(commonName: string): Uint8Array {
  return sequence(set(sequence(oid(OID_COMMON_NAME), utf8(commonName))));
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): Uint8Array {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const year = date.getUTCFullYear();
  return year < 2050 ? ascii(0x17, `${iso.slice(2)}Z`) : ascii(0x18, `${iso}Z`);
}

const NOT_BEFORE = new Date(Date.UTC(2000, 0, 1, 0, 0, 0));
const NOT_AFTER = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

/**
 * A DER X.509 v3 certificate for `privateKey`'s ED25519 public key, issued by and to
 * CN=`commonName`, valid 2000–9999, signed with id-Ed25519. The same key and name always
 * give the same certificate bytes (the serial is derived from the key).
 */
export function selfSignedCertificateDer(privateKey: KeyObject, commonName: string): Uint8Array {
  if (privateKey.asymmetricKeyType !== "ed25519" || privateKey.type !== "private") {
    throw new RealizeError("internal", "a peer certificate needs an ED25519 private key", {
      keyType: privateKey.asymmetricKeyType ?? privateKey.type,
    });
  }
  const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" });
  const serial = createHash("sha256").update(spki).digest().subarray(0, 16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  const extensions = sequence(
    sequence(oid(OID_BASIC_CONSTRAINTS), boolean(true), octets(sequence())),
    sequence(oid(OID_KEY_USAGE), boolean(true), octets(tlv(0x03, Uint8Array.of(7, 0x80)))),
  );
  const tbs = sequence(
    explicit(0, integer(Uint8Array.of(2))),
    integer(serial),
    ED25519_ALGORITHM,
    name(commonName),
    sequence(time(NOT_BEFORE), time(NOT_AFTER)),
    name(commonName),
    spki,
    explicit(3, extensions),
  );
  const signature = sign(null, tbs, privateKey);
  return sequence(tbs, ED25519_ALGORITHM, bitString(signature));
}

/** The certificate in PEM, as `tls.createServer`/`tls.connect` take it. */
export function selfSignedCertificatePem(privateKey: KeyObject, commonName: string): string {
  const b64 = Buffer.from(selfSignedCertificateDer(privateKey, commonName)).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/**
 * The 32 raw bytes of the ED25519 key in a DER SubjectPublicKeyInfo, or undefined when the
 * key is of any other kind (RSA, ECDSA, Ed448…): such a key can never match a pinned one.
 */
export function ed25519KeyFromSpki(spki: Uint8Array): Uint8Array | undefined {
  if (spki.length !== ED25519_SPKI_PREFIX.length + 32) return undefined;
  for (let i = 0; i < ED25519_SPKI_PREFIX.length; i++) {
    if (spki[i] !== ED25519_SPKI_PREFIX[i]) return undefined;
  }
  return Uint8Array.from(spki.subarray(ED25519_SPKI_PREFIX.length));
}

/**
 * The raw ED25519 key a DER certificate carries, or undefined when it carries another kind
 * of key or is not a certificate. Says nothing about trust: the caller compares the key
 * with the pinned ones, and the TLS handshake has proved possession of its private half.
 */
export function ed25519KeyOfCertificate(der: Uint8Array): Uint8Array | undefined {
  try {
    const spki = new X509Certificate(der).publicKey.export({ type: "spki", format: "der" });
    return ed25519KeyFromSpki(spki);
  } catch {
    return undefined;
  }
}
