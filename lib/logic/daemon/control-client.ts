import type { PeerPaths } from "../../config/paths.ts";
import { isRealizeError } from "../../model/errors.ts";
import { RpcConnection } from "../../network/rpc-connection.ts";
import { unixDial } from "../../network/unix-link.ts";

/**
 * A connection to this peer's running `realize serve` over its control socket, past hello,
 * or undefined when no daemon runs (no socket file, or one nobody answers on). Call
 * `controlMethods` on it (lib/network/control-protocol.ts) and close it when done.
 */
export async function connectControl(paths: PeerPaths): Promise<RpcConnection | undefined> {
  let connection: RpcConnection;
  try {
    connection = new RpcConnection(await unixDial(paths.controlSocket));
  } catch (error) {
    if (isRealizeError(error) && error.code === "unreachable") return undefined;
    throw error;
  }
  await connection.ready;
  return connection;
}
