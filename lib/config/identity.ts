import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ioError, RealizeError } from "../model/errors.ts";
import { encodePeerKey } from "../model/peer-key.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import type { PeerPaths } from "./paths.ts";

/** This peer's ED25519 key pair, ready for TLS and for printing. */
export interface Identity {
  /** The key.pem it was read from. */
  file: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The 32 raw bytes of the public key. */
  publicKeyRaw: Uint8Array;
  /** The public key as users and configs write it: `ed25519:…` (lib/model/peer-key.ts). */
  pubkey: string;
}

/**
 * Creates this peer's key pair in `paths.key` (PKCS#8 PEM, mode 0600), creating the config
 * directory with mode 0700 if missing. Never replaces a key: if key.pem exists, or appears
 * while this runs (a concurrent `init`), it throws RealizeError("key_exists") and the
 * existing key is untouched. The file is complete or absent, never half-written.
 */
export async function createIdentity(paths: PeerPaths): Promise<Identity> {
  await makePrivateDir(dirname(paths.key));
  const { privateKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const written = await writeFileAtomic(paths.key, pem, { mode: 0o600, exclusive: true });
  if (!written) {
    throw new RealizeError("key_exists", `a key already exists at ${paths.key}; not replacing it`, {
      file: paths.key,
    });
  }
  return identityOf(privateKey, paths.key);
}

/**
 * Reads this peer's key pair from `paths.key`. Throws RealizeError("key_missing") when the
 * file does not exist, and RealizeError("config") naming the file when it is not an
 * ED25519 private key in PEM form.
 */
export async function loadIdentity(paths: PeerPaths): Promise<Identity> {
  let pem: string;
  try {
    pem = await readFile(paths.key, "utf8");
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") {
      throw new RealizeError("key_missing", `no key at ${paths.key}`, { file: paths.key });
    }
    throw ioError("read", paths.key, err);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    throw badKey(paths.key, "it is not a private key in PEM form", err);
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw badKey(paths.key, `it holds a ${privateKey.asymmetricKeyType ?? "unknown"} key`);
  }
  return identityOf(privateKey, paths.key);
}

/** Creates `dir` (and missing parents) with mode 0700; an existing directory is left as is. */
export async function makePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError("create the directory", dir, err);
  }
}

function identityOf(privateKey: KeyObject, file: string): Identity {
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: "jwk" });
  const publicKeyRaw = new Uint8Array(Buffer.from(jwk.x ?? "", "base64url"));
  return { file, privateKey, publicKey, publicKeyRaw, pubkey: encodePeerKey(publicKeyRaw) };
}

function badKey(file: string, reason: string, cause?: unknown): RealizeError {
  return new RealizeError(
    "config",
    `${file}: not this peer's ED25519 private key: ${reason}. Restore it from a backup, or move it away and run \`realize init\` for a new identity (then give the new key to the other peers)`,
    { file },
    cause,
  );
}
