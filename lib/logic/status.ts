import { existsSync } from "node:fs";
import { join } from "node:path";
import { formatHostPort } from "../config/host-port.ts";
import type { PeerPaths } from "../config/paths.ts";
import type { Config } from "../config/types.ts";
import { RealizeError } from "../model/errors.ts";
import {
  controlMethods,
  type DaemonStatus,
  type JobStatus,
  jobMethods,
} from "../network/control-protocol.ts";
import { IndexDb } from "../storage/index-db.ts";
import { STATE_DB_FILE } from "../storage/state-db.ts";
import { connectControl } from "./daemon/control-client.ts";

/** One arena in `realize status`. */
export interface ArenaStatus {
  name: string;
  root: string | null;
  mode: string;
  real: { files: number; bytes: number };
  unreal: { files: number; bytes: number };
  conflicts: number;
  cache: { used: number; max: number };
}

/** One peer of the household in `realize status`. */
export interface PeerStatusLine {
  name: string;
  address: string | null;
  /** null when no daemon runs (nothing is connected then). */
  connected: boolean | null;
  last_seen: string | null;
  /** Entries of its history not yet applied here; null until history exchange runs. */
  history_lag: number | null;
}

/** What `realize status` shows: arenas, peers, the daemon and its jobs. */
export interface PeerStatusReport {
  peer: string;
  daemon: { running: boolean; pid: number | null; listen: string | null; started: string | null };
  arenas: ArenaStatus[];
  peers: PeerStatusLine[];
  jobs: JobStatus[];
}

/**
 * Gathers this peer's status from the config, the index and (when one runs) the daemon. Works
 * without a daemon: then peers show as not connected and there are no jobs. `arena`
 * limits the arenas shown (an unknown one is a usage error).
 */
export async function peerStatus(
  paths: PeerPaths,
  config: Config,
  arena?: string,
): Promise<PeerStatusReport> {
  if (arena !== undefined && !config.arenas[arena]) {
    throw new RealizeError("unknown_arena", `arena ${arena} is not in the config ${config.file}`, {
      arena,
      file: config.file,
    });
  }
  const index = existsSync(join(paths.stateDir, STATE_DB_FILE))
    ? IndexDb.open(paths.stateDir)
    : undefined;
  const arenas = Object.values(config.arenas)
    .filter((a) => arena === undefined || a.name === arena)
    .map((a) => ({
      name: a.name,
      root: a.root ?? null,
      mode: a.mode,
      real: index?.totals(a.name) ?? { files: 0, bytes: 0 },
      unreal: { files: 0, bytes: 0 },
      conflicts: 0,
      cache: { used: 0, max: a.cacheMax },
    }));
  index?.close();

  let daemon: DaemonStatus | undefined;
  let jobs: JobStatus[] = [];
  const control = await connectControl(paths);
  if (control) {
    try {
      daemon = await control.call(controlMethods.status, {});
      jobs = await control.call(jobMethods.list, {});
    } finally {
      control.close();
    }
  }
  const seen = new Map(daemon?.peers.map((p) => [p.name, p]));
  const peers = Object.values(config.peers).map((p) => ({
    name: p.name,
    address: p.address ? formatHostPort(p.address) : null,
    connected: daemon ? (seen.get(p.name)?.connected ?? false) : null,
    last_seen: seen.get(p.name)?.lastSeen ?? null,
    history_lag: null,
  }));
  return {
    peer: config.peer.name,
    daemon: {
      running: daemon !== undefined,
      pid: daemon?.pid ?? null,
      listen: daemon?.listen ?? null,
      started: daemon?.started ?? null,
    },
    arenas,
    peers,
    jobs: arena === undefined ? jobs : jobs.filter((j) => j.arena === arena),
  };
}
