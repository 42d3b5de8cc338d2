import { formatHostPort } from "../../config/host-port.ts";
import type { Identity } from "../../config/identity.ts";
import type { Config } from "../../config/types.ts";
import { isRealizeError, RealizeError } from "../../model/errors.ts";
import { pingMethod } from "../../network/ping-method.ts";
import { RpcConnection } from "../../network/rpc-connection.ts";
import { tlsDial } from "../../network/tls-transport.ts";

/** A ping that got its answer. */
export interface PingResult {
  peer: string;
  /** `host:port` dialled, as the config spells it. */
  address: string;
  /** Round trip of one `realize.ping` request on the authenticated connection, in ms. */
  rttMs: number;
}

/**
 * Dials `name` from this process with this peer's identity, authenticates both ways,
 * exchanges hellos and times one `realize.ping`. Throws RealizeError: "unknown_peer" or
 * "usage" (not in the config, or no address: exit 2, nothing dialled), "unreachable",
 * "tls", "key_mismatch" (another key answered), "unknown_key" (the peer does not know
 * this peer's key), "version_mismatch", "timeout".
 */
export async function pingPeer(
  config: Config,
  identity: Identity,
  name: string,
  options: { timeoutMs?: number } = {},
): Promise<PingResult> {
  const peer = config.peers[name];
  if (!peer) {
    throw new RealizeError("unknown_peer", `no peer named ${name} in ${config.file}`, {
      peer: name,
      file: config.file,
    });
  }
  if (!peer.address) {
    throw new RealizeError(
      "usage",
      `peer ${name} has no address in ${config.file} (it only dials in), so it cannot be pinged from here`,
      { peer: name, file: config.file },
    );
  }
  const address = formatHostPort(peer.address);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const link = await tlsDial({
    identity: { name: config.peer.name, privateKey: identity.privateKey },
    peer: { ...peer, address: peer.address },
    timeoutMs,
  });
  const connection = new RpcConnection(link, { helloTimeoutMs: timeoutMs });
  try {
    await connection.ready.catch((error: unknown) => {
      throw refusal(error, name, address, identity.pubkey);
    });
    const start = performance.now();
    await connection.call(pingMethod, {}, { deadline });
    return { peer: name, address, rttMs: performance.now() - start };
  } finally {
    connection.close();
  }
}

/** A refusal by the peer, reworded from the pinging side's point of view. */
function refusal(error: unknown, name: string, address: string, ownKey: string): unknown {
  if (!isRealizeError(error) || error.code !== "unknown_key") return error;
  return new RealizeError(
    "unknown_key",
    `peer ${name} at ${address} does not know this peer's key ${ownKey}`,
    { peer: name, address, key: ownKey },
    error,
  );
}
