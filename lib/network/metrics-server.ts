import type { HostPort } from "../config/types.ts";
import { errorMessage, RealizeError } from "../model/errors.ts";
import type { NetworkMetrics } from "./metrics.ts";

/** A running `/metrics` endpoint. */
export interface MetricsServer {
  /** Where it listens; the port is the real one when 0 was asked for. */
  readonly address: HostPort;
  /** `http://HOST:PORT/metrics`. */
  readonly url: string;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
}

function formatAddress({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

async function answer(request: Request, metrics: NetworkMetrics): Promise<Response> {
  if (new URL(request.url).pathname !== "/metrics") {
    return new Response("not found: metrics are at /metrics\n", { status: 404 });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  return new Response(await metrics.text(), { headers: { "content-type": metrics.contentType } });
}

/**
 * Serves `metrics` as Prometheus text at `http://ADDRESS/metrics` (the config's `metrics`
 * key): GET gives the text, other methods 405, other paths 404. Fails with RealizeError
 * "address_in_use" naming the address when something already listens there.
 */
export function startMetricsServer(at: HostPort, metrics: NetworkMetrics): MetricsServer {
  let server: Bun.Server<undefined>;
  try {
    server = Bun.serve({
      hostname: at.host,
      port: at.port,
      fetch: (request) => answer(request, metrics),
      error: () => new Response("cannot collect the metrics\n", { status: 500 }),
    });
  } catch (cause) {
    const address = formatAddress(at);
    const code = (cause as { code?: unknown })?.code;
    if (code === "EADDRINUSE") {
      throw new RealizeError(
        "address_in_use",
        `cannot serve metrics on ${address}: the address is already in use`,
        { address },
        cause,
      );
    }
    const reason = errorMessage(cause);
    throw new RealizeError(
      "io",
      `cannot serve metrics on ${address}: ${reason}`,
      { address },
      cause,
    );
  }
  const address = { host: at.host, port: server.port ?? at.port };
  return {
    address,
    url: `http://${formatAddress(address)}/metrics`,
    stop: () => server.stop(true),
  };
}
