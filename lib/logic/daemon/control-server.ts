import { unlink } from "node:fs/promises";
import { ioError, isRealizeError, RealizeError } from "../../model/errors.ts";
import type { Logger } from "../../model/logger.ts";
import { RpcConnection } from "../../network/rpc-connection.ts";
import { RpcServer } from "../../network/rpc-server.ts";
import type { Service } from "../../network/service.ts";
import { unixDial, unixListen } from "../../network/unix-link.ts";

/** The daemon's end of the control socket. */
export interface ControlServer {
  readonly path: string;
  /** Closes the CLI connections and removes the socket file. */
  close(): Promise<void>;
}

/**
 * Makes sure no other daemon of this peer runs, before this one binds anything. When
 * something answers on the socket at `path`, throws RealizeError "already_running"; a
 * socket file nobody answers on (left by a daemon that crashed) is removed.
 */
export async function claimControlSocket(path: string): Promise<void> {
  try {
    const link = await unixDial(path);
    const connection = new RpcConnection(link, { helloTimeoutMs: 2000 });
    await connection.ready.catch(() => {});
    connection.close();
  } catch (error) {
    if (!isRealizeError(error) || error.code !== "unreachable") throw error;
    if (error.data.errno === "ECONNREFUSED") {
      await unlink(path).catch((cause: { code?: string }) => {
        if (cause.code !== "ENOENT") throw ioError("remove the stale control socket", path, cause);
      });
    }
    return;
  }
  throw new RealizeError(
    "already_running",
    `another realize serve runs for this REALIZE_HOME: it answers on ${path}`,
    { file: path },
  );
}

/**
 * Serves `service` on the UNIX socket `path` (mode 0600) with the same framing and RPC as
 * between peers; every client is the peer "local". Call claimControlSocket first. CLI
 * clients come and go (and may be killed mid-request), so their connection events are
 * logged at debug level; errors stay errors.
 */
export async function startControlServer(
  path: string,
  service: Service,
  logger: Logger,
): Promise<ControlServer> {
  const quiet: Logger = {
    log: (level, message, fields) =>
      logger.log(level === "error" ? level : "debug", message, fields),
  };
  const server = new RpcServer({ service, logger: quiet });
  const listener = await unixListen(path, (link) => server.accept(link));
  return {
    path,
    async close() {
      await server.close();
      await listener.close();
    },
  };
}
