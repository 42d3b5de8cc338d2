import type { RealizeError } from "../model/errors.ts";
import type { Link } from "./link.ts";
import { RpcConnection, type RpcConnectionOptions } from "./rpc-connection.ts";

/**
 * The accepting side of a daemon: turns each authenticated link into an RpcConnection
 * serving the same methods, keeps track of the open ones, and closes them all on
 * shutdown. Connections are independent: one that breaks affects no other.
 */
export class RpcServer {
  private readonly open = new Set<RpcConnection>();

  constructor(private readonly options: RpcConnectionOptions) {}

  /** Serves `link`; the returned connection is forgotten once closed. */
  accept(link: Link): RpcConnection {
    const connection = new RpcConnection(link, this.options);
    this.open.add(connection);
    void connection.closed.then(() => this.open.delete(connection));
    return connection;
  }

  /** The connections open now. */
  get connections(): readonly RpcConnection[] {
    return [...this.open];
  }

  /** Closes every open connection (telling each peer `reason`) and waits until they are gone. */
  async close(reason?: RealizeError): Promise<void> {
    const closing = [...this.open].map((connection) => {
      connection.close(reason);
      return connection.closed;
    });
    await Promise.all(closing);
  }
}
