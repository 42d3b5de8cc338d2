import { RealizeError, usageError } from "../model/errors.ts";
import { checkName } from "../model/names.ts";
import { decodePeerKey } from "../model/peer-key.ts";
import { addTable, editConfig, removeTable } from "./config-edit.ts";
import { formatHostPort, parseHostPort } from "./host-port.ts";
import { loadIdentity } from "./identity.ts";
import type { PeerPaths } from "./paths.ts";
import { parseRate } from "./size.ts";
import type { Config, PeerConfig } from "./types.ts";

/** A peer to add, as given on the command line (unchecked). */
export interface NewPeer {
  name: string;
  pubkey: string;
  address?: string;
  maxRate?: string;
}

/** One row of `realize peer list --json` (CLI.md): address `host:port` or null, max_rate bytes/s or null. */
export interface PeerListEntry {
  name: string;
  address: string | null;
  pubkey: string;
  max_rate: number | null;
}

/**
 * Adds `[peers.NAME]` to the config, keeping the rest of the file as it was. Refuses
 * (usage error, exit 2, file untouched) a bad name, key, address or rate, a name already
 * taken or equal to this peer's own, this peer's own key, and a key another peer has.
 */
export async function addPeer(paths: PeerPaths, peer: NewPeer): Promise<PeerConfig> {
  const nameProblem = checkName("peer", peer.name);
  if (nameProblem) throw usageError(nameProblem, { peer: peer.name });
  const raw = decodePeerKey(peer.pubkey);
  if (typeof raw === "string") throw usageError(`--pubkey ${raw}`, { peer: peer.name });
  const address = peer.address === undefined ? undefined : parseHostPort(peer.address);
  if (typeof address === "string") throw usageError(`--address ${address}`, { peer: peer.name });
  const rate = peer.maxRate === undefined ? undefined : parseRate(peer.maxRate);
  if (typeof rate === "string") throw usageError(`--max-rate ${rate}`, { peer: peer.name });
  const self = await loadIdentity(paths);
  const config = await editConfig(paths.config, (text, current) => {
    refuseClash(current, peer.name, peer.pubkey, self.pubkey);
    return addTable(text, "peers", peer.name, {
      address: address && formatHostPort(address),
      pubkey: peer.pubkey,
      max_rate: peer.maxRate,
    });
  });
  return config.peers[peer.name]!;
}

function refuseClash(config: Config, name: string, pubkey: string, ownKey: string): void {
  const data = { file: config.file, peer: name };
  if (name === config.peer.name) {
    throw usageError(`"${name}" is this peer's own name; give the other peer another name`, data);
  }
  if (config.peers[name]) {
    throw usageError(
      `a peer named "${name}" is already in ${config.file}; \`realize peer remove ${name}\` first to replace it`,
      data,
    );
  }
  if (pubkey === ownKey) {
    throw usageError(
      "that is this peer's own key; add the key `realize id` prints on the other peer",
      data,
    );
  }
  const owner = Object.values(config.peers).find((p) => p.pubkey === pubkey);
  if (owner) throw usageError(`peer "${owner.name}" already has this key`, data);
}

/**
 * Removes `[peers.NAME]` from the config with the comments that belong to it; the rest of
 * the file stays as it was. RealizeError("unknown_peer") when there is no such peer.
 */
export async function removePeer(paths: PeerPaths, name: string): Promise<PeerConfig> {
  let removed: PeerConfig | undefined;
  await editConfig(paths.config, (text, config) => {
    removed = config.peers[name];
    if (!removed) {
      throw new RealizeError("unknown_peer", `no peer named "${name}" in ${config.file}`, {
        file: config.file,
        peer: name,
      });
    }
    const changed = removeTable(text, "peers", name);
    if (changed === undefined) {
      throw new RealizeError(
        "config",
        `${config.file}: peer "${name}" is not written as a [peers.${name}] table; remove it by hand`,
        { file: config.file, key: `peers.${name}` },
      );
    }
    return changed;
  });
  return removed!;
}

/** The household as `peer list --json` prints it, sorted by name. */
export function peerList(config: Config): PeerListEntry[] {
  return Object.values(config.peers)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((peer) => ({
      name: peer.name,
      address: peer.address ? formatHostPort(peer.address) : null,
      pubkey: peer.pubkey,
      max_rate: peer.maxRate ?? null,
    }));
}
