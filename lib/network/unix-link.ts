import { chmodSync } from "node:fs";
import * as net from "node:net";
import { ioError, RealizeError } from "../model/errors.ts";
import type { Link } from "./link.ts";

/**
 * Links over a UNIX socket, for the CLI talking to its own running daemon. Whoever can
 * open the socket file is this user (mode 0600 in a 0700 state directory), so the link is
 * authenticated by the file system and its peer is always named "local".
 */

/** The peer name of every control link. */
export const LOCAL_PEER = "local";

/** A listening UNIX socket. */
export interface UnixListener {
  readonly path: string;
  /** Stops accepting, destroys the links still open and removes the socket file. */
  close(): Promise<void>;
}

/**
 * Listens on the UNIX socket `path` (which must not exist) and hands each client to
 * `onLink`. The socket is created under umask 0177 and then set to mode 0600, so no other
 * user can connect at any moment. Rejects with RealizeError "io" naming the path.
 */
export function unixListen(path: string, onLink: (link: Link) => void): Promise<UnixListener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
    onLink({ peer: LOCAL_PEER, address: path, stream: socket });
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(ioError("listen on the control socket", path, error)));
    const umask = process.umask(0o177);
    try {
      server.listen(path, () => {
        try {
          chmodSync(path, 0o600);
        } catch (error) {
          server.close();
          reject(ioError("set the mode of the control socket", path, error));
          return;
        }
        resolve({
          path,
          close: () =>
            new Promise<void>((done) => {
              for (const socket of sockets) socket.destroy();
              server.close(() => done());
            }),
        });
      });
    } finally {
      process.umask(umask);
    }
  });
}

/**
 * Connects to the UNIX socket `path`. Rejects with RealizeError "unreachable" (data.errno
 * ENOENT when there is no socket file, ECONNREFUSED when nothing listens on it) or "io".
 */
export function unixDial(path: string): Promise<Link> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    socket.once("connect", () => {
      socket.off("error", onError);
      socket.on("error", () => {});
      resolve({ peer: LOCAL_PEER, address: path, stream: socket });
    });
    const onError = (error: Error & { code?: string }) => {
      socket.destroy();
      const errno = error.code ?? "";
      if (errno === "ENOENT" || errno === "ECONNREFUSED") {
        reject(
          new RealizeError(
            "unreachable",
            `nothing answers on the control socket ${path}`,
            { file: path, errno },
            error,
          ),
        );
      } else reject(ioError("connect to the control socket", path, error));
    };
    socket.once("error", onError);
  });
}
