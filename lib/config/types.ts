/** A host and port, as written `HOST:PORT` in the config (IPv6 hosts in brackets). */
export interface HostPort {
  host: string;
  port: number;
}

/** Arena modes (CLI.md): mirror makes every file real here; partial keeps files unreal until `get`. */
export type ArenaMode = "mirror" | "partial";

/** `[peer]`: this peer. */
export interface LocalPeerConfig {
  name: string;
  listen: HostPort;
  metrics?: HostPort;
}

/** `[peers.NAME]`: another member of the household. */
export interface PeerConfig {
  name: string;
  address?: HostPort;
  /** Exactly as written in the config: `ed25519:…` (lib/model/peer-key.ts). */
  pubkey: string;
  /** The 32 raw bytes of the peer's ED25519 public key. */
  pubkeyRaw: Uint8Array;
  /** Bytes per second sent to this peer at most; undefined means no cap. */
  maxRate?: number;
}

/** `[arenas.NAME]`: a shared tree. */
export interface ArenaConfig {
  name: string;
  /** Absolute path of the arena root; undefined for a cache-only arena. */
  root?: string;
  mode: ArenaMode;
  /** Cap on the blob cache in bytes. */
  cacheMax: number;
}

/** A validated config file. Every field has been checked; nothing here needs checking again. */
export interface Config {
  /** Absolute path of the file it was read from. */
  file: string;
  peer: LocalPeerConfig;
  peers: Record<string, PeerConfig>;
  arenas: Record<string, ArenaConfig>;
}
