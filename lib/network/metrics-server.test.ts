import { afterEach, describe, expect, test } from "bun:test";
import { RealizeError } from "../model/errors.ts";
import { Metrics } from "./metrics.ts";
import { type MetricsServer, startMetricsServer } from "./metrics-server.ts";

const LOOPBACK = "127.0.0.1";
const running: MetricsServer[] = [];

function start(port = 0, metrics = new Metrics()): MetricsServer {
  const server = startMetricsServer({ host: LOOPBACK, port }, metrics);
  running.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe("startMetricsServer", () => {
  test("GET /metrics answers with the current counts as Prometheus text", async () => {
    const metrics = new Metrics();
    const server = start(0, metrics);
    expect(server.address.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://${LOOPBACK}:${server.address.port}/metrics`);
    metrics.bytesOut("nas", 42);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    expect(await response.text()).toContain('realize_sent_bytes_total{peer="nas"} 42');
    metrics.bytesOut("nas", 8);
    expect(await (await fetch(server.url)).text()).toContain(
      'realize_sent_bytes_total{peer="nas"} 50',
    );
  });

  test.each(["/", "/metric", "/metrics/x", "/favicon.ico"])("GET %s is 404", async (path) => {
    const server = start();
    const response = await fetch(`http://${LOOPBACK}:${server.address.port}${path}`);
    expect(response.status).toBe(404);
  });

  test.each(["POST", "PUT", "DELETE"])(
    "%s /metrics is 405 and says what is allowed",
    async (method) => {
      const server = start();
      const response = await fetch(server.url, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD");
    },
  );

  test("a second server on the same address fails with address_in_use naming it", () => {
    const first = start();
    const port = first.address.port;
    let error: unknown;
    try {
      start(port);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RealizeError);
    expect((error as RealizeError).code).toBe("address_in_use");
    expect((error as RealizeError).message).toContain(`${LOOPBACK}:${port}`);
    expect((error as RealizeError).data.address).toBe(`${LOOPBACK}:${port}`);
  });

  test("after stop() the address is free again", async () => {
    const first = start();
    const port = first.address.port;
    await first.stop();
    running.splice(running.indexOf(first), 1);
    const again = start(port);
    expect((await fetch(again.url)).status).toBe(200);
  });
});
