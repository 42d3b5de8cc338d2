import { afterAll, expect, test } from "bun:test";
import { createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePeerKey } from "../model/peer-key.ts";
import { createIdentity, loadIdentity } from "./identity.ts";
import { peerPaths } from "./paths.ts";

const base = mkdtempSync(join(tmpdir(), "realize-identity-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let count = 0;
const freshPaths = () => peerPaths({ REALIZE_HOME: join(base, `home${count++}`, "realize") });

test("creates key.pem 0600 in a new 0700 directory, as PKCS#8 PEM", async () => {
  const paths = freshPaths();
  const identity = await createIdentity(paths);
  expect(statSync(paths.configDir).mode & 0o777).toBe(0o700);
  expect(statSync(paths.key).mode & 0o777).toBe(0o600);
  expect(readFileSync(paths.key, "utf8")).toStartWith("-----BEGIN PRIVATE KEY-----\n");
  expect(identity.pubkey).toMatch(/^ed25519:[a-z2-7]{52}$/);
  expect(identity.file).toBe(paths.key);
});

test("loads the same identity it created; pubkey decodes to publicKeyRaw", async () => {
  const paths = freshPaths();
  const created = await createIdentity(paths);
  const loaded = await loadIdentity(paths);
  expect(loaded.pubkey).toBe(created.pubkey);
  expect(decodePeerKey(loaded.pubkey)).toEqual(loaded.publicKeyRaw);
  expect(loaded.publicKeyRaw).toHaveLength(32);
});

test("publicKeyRaw is the key that verifies the private key's signatures", async () => {
  const paths = freshPaths();
  const identity = await createIdentity(paths);
  const message = Buffer.from("realize");
  const signature = sign(null, message, identity.privateKey);
  const fromRaw = createPublicKey({
    key: {
      kty: "OKP",
      crv: "Ed25519",
      x: Buffer.from(identity.publicKeyRaw).toString("base64url"),
    },
    format: "jwk",
  });
  expect(verify(null, message, fromRaw, signature)).toBe(true);
});

test("never replaces an existing key, even from concurrent creators", async () => {
  const paths = freshPaths();
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => createIdentity(paths)));
  const won = results.filter((r) => r.status === "fulfilled");
  expect(won).toHaveLength(1);
  for (const r of results) {
    if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "key_exists" });
  }
  const kept = readFileSync(paths.key, "utf8");
  await expect(createIdentity(paths)).rejects.toMatchObject({ code: "key_exists" });
  expect(readFileSync(paths.key, "utf8")).toBe(kept);
  expect((await loadIdentity(paths)).pubkey).toBe(
    (won[0] as PromiseFulfilledResult<{ pubkey: string }>).value.pubkey,
  );
});

test("a missing key is key_missing naming the file", async () => {
  const paths = freshPaths();
  await expect(loadIdentity(paths)).rejects.toMatchObject({
    code: "key_missing",
    data: { file: paths.key },
  });
});

test.each([
  ["garbage", "not a private key in PEM form"],
  [
    generateKeyPairSync("rsa", { modulusLength: 1024 })
      .privateKey.export({ format: "pem", type: "pkcs8" })
      .toString(),
    "it holds a rsa key",
  ],
  [
    generateKeyPairSync("ed25519").publicKey.export({ format: "pem", type: "spki" }).toString(),
    "not a private key in PEM form",
  ],
])("a key.pem that is not an ED25519 private key is a clear error (%#)", async (pem, reason) => {
  const paths = freshPaths();
  await createIdentity(paths);
  writeFileSync(paths.key, pem);
  const err = await loadIdentity(paths).catch((e) => e);
  expect(err).toMatchObject({ code: "config", data: { file: paths.key } });
  expect(err.message).toStartWith(`${paths.key}: not this peer's ED25519 private key`);
  expect(err.message).toContain(reason);
});
