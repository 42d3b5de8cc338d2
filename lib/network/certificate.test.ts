import { describe, expect, test } from "bun:test";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import fc from "fast-check";
import { RealizeError } from "../model/errors.ts";
import {
  ed25519KeyFromSpki,
  ed25519KeyOfCertificate,
  selfSignedCertificateDer,
  selfSignedCertificatePem,
} from "./certificate.ts";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const spki = publicKey.export({ type: "spki", format: "der" });
const raw = spki.subarray(spki.length - 32);

describe("self-signed ED25519 certificates", () => {
  test("parse as X.509 v3: CN, 2000–9999, the key, a valid self-signature", () => {
    const cert = new X509Certificate(selfSignedCertificatePem(privateKey, "laptop"));
    expect(cert.subject).toBe("CN=laptop");
    expect(cert.issuer).toBe("CN=laptop");
    expect(new Date(cert.validFrom).getUTCFullYear()).toBe(2000);
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(9999);
    expect(cert.publicKey.asymmetricKeyType).toBe("ed25519");
    expect(cert.publicKey.export({ type: "spki", format: "der" })).toEqual(spki);
    expect(cert.verify(publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.toLegacyObject().serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
  });

  test("the same key and name give the same bytes; another key another certificate", () => {
    const again = selfSignedCertificateDer(privateKey, "laptop");
    expect(again).toEqual(selfSignedCertificateDer(privateKey, "laptop"));
    const other = generateKeyPairSync("ed25519").privateKey;
    expect(selfSignedCertificateDer(other, "laptop")).not.toEqual(again);
  });

  test("names of any length encode (short and long DER lengths)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9_-]{1,400}$/), (name) => {
        const cert = new X509Certificate(selfSignedCertificateDer(privateKey, name));
        expect(cert.subject).toBe(`CN=${name}`);
        expect(cert.verify(publicKey)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test("refuses a private key that is not ED25519", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    expect(() => selfSignedCertificateDer(ec, "x")).toThrow(RealizeError);
    expect(() => selfSignedCertificateDer(publicKey, "x")).toThrow(RealizeError);
  });
});

describe("reading the key back", () => {
  test("a certificate gives its raw 32-byte ED25519 key", () => {
    expect(ed25519KeyOfCertificate(selfSignedCertificateDer(privateKey, "nas"))).toEqual(
      Uint8Array.from(raw),
    );
  });

  test.each([
    ["X25519", generateKeyPairSync("x25519").publicKey],
    ["P-256", generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey],
  ])("an %s key is no ED25519 key", (_, key) => {
    expect(ed25519KeyFromSpki(key.export({ type: "spki", format: "der" }))).toBeUndefined();
  });

  test("bytes that are no certificate give no key", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expect(ed25519KeyOfCertificate(bytes)).toBeUndefined();
      }),
    );
  });
});
