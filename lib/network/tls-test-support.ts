import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { type Logger, silentLogger } from "../model/logger.ts";
import { encodePeerKey } from "../model/peer-key.ts";
import { ed25519KeyFromSpki } from "./certificate.ts";
import type { LinkHarness } from "./rpc-test-support.ts";
import { type LocalIdentity, type PinnedPeer, tlsDial, tlsListen } from "./tls-transport.ts";

/** A test peer: its identity for TLS and its pinned form for the other side's config. */
export interface TestPeer extends LocalIdentity {
  pinned: PinnedPeer;
}

/** A fresh ED25519 identity named `name`. */
export function testPeer(name: string): TestPeer {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { name, privateKey, pinned: pinnedPeer(name, publicKey) };
}

/** `name` pinned to `publicKey`, as a config entry would hold it. */
export function pinnedPeer(name: string, publicKey: KeyObject): PinnedPeer {
  const raw = ed25519KeyFromSpki(publicKey.export({ type: "spki", format: "der" }));
  if (!raw) throw new Error("not an ED25519 key");
  return { name, pubkey: encodePeerKey(raw), pubkeyRaw: raw };
}

/**
 * Real TLS on 127.0.0.1: the server `beta` knows `alpha`; each dial is `alpha` dialling
 * `beta` with both keys pinned.
 */
export function tlsHarness(logger: Logger = silentLogger): LinkHarness {
  const alpha = testPeer("alpha");
  const beta = testPeer("beta");
  return {
    name: "TLS 1.3 on 127.0.0.1",
    async listen(accept) {
      const listener = await tlsListen({
        identity: beta,
        listen: { host: "127.0.0.1", port: 0 },
        peers: () => [alpha.pinned],
        logger,
        onLink: accept,
      });
      return {
        dial: () =>
          tlsDial({ identity: alpha, peer: { ...beta.pinned, address: listener.address } }),
        close: () => listener.close(),
      };
    },
  };
}
