import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { RealizeError, usageError } from "../model/errors.ts";
import { checkName } from "../model/names.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import { loadConfig } from "./config.ts";
import { formatHostPort, parseHostPort } from "./host-port.ts";
import { createIdentity, type Identity, makePrivateDir } from "./identity.ts";
import type { PeerPaths } from "./paths.ts";
import { configTemplate } from "./template.ts";

/** What `realize init` is asked for. */
export interface InitRequest {
  name: string;
  /** `HOST:PORT`; default 0.0.0.0:7744. */
  listen?: string;
}

/** What `realize init` did. */
export interface InitResult {
  identity: Identity;
  config: string;
  /** False when a config was already there and was kept as it was. */
  configWritten: boolean;
}

/**
 * Gives this peer an identity: a new ED25519 key in key.pem (0600, directory 0700) and,
 * unless one exists, a commented config naming the peer. Refuses (exit 2) when a key
 * already exists, touching nothing, not even the config. An existing config is kept; it
 * must be valid and name this same peer, else init refuses before creating the key.
 */
export async function initPeer(paths: PeerPaths, request: InitRequest): Promise<InitResult> {
  const nameProblem = checkName("peer", request.name);
  if (nameProblem) throw usageError(`--name: ${nameProblem}`);
  const listen = parseHostPort(request.listen ?? "0.0.0.0:7744");
  if (typeof listen === "string") throw usageError(`--listen ${listen}`);
  if (await exists(paths.key)) {
    throw new RealizeError("key_exists", `a key already exists at ${paths.key}; not replacing it`, {
      file: paths.key,
    });
  }
  const configExists = await exists(paths.config);
  if (configExists) {
    const config = await loadConfig(paths.config);
    if (config.peer.name !== request.name) {
      throw usageError(
        `${paths.config} already names this peer "${config.peer.name}", not "${request.name}"; run \`realize init --name ${config.peer.name}\` or use another config`,
        { file: paths.config },
      );
    }
  }
  const identity = await createIdentity(paths);
  let configWritten = false;
  if (!configExists) {
    await makePrivateDir(dirname(paths.config));
    const text = configTemplate({ name: request.name, listen: formatHostPort(listen) });
    configWritten = await writeFileAtomic(paths.config, text, { mode: 0o600, exclusive: true });
  }
  return { identity, config: paths.config, configWritten };
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}
