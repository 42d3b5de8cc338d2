import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { RealizeError } from "../model/errors.ts";
import { memoryLinkPair } from "./memory-transport.ts";
import { MeteredService } from "./metered-service.ts";
import { callMethod, schemaCodec, streamMethod } from "./method.ts";
import { Metrics } from "./metrics.ts";
import { RpcConnection } from "./rpc-connection.ts";

const word = schemaCodec(v.string());
const m = {
  echo: callMethod("t.echo", { args: word, result: word }),
  missing: callMethod("t.missing", { args: word, result: word }),
  crash: callMethod("t.crash", { args: word, result: word }),
  hang: callMethod("t.hang", { args: word, result: word }),
  count: streamMethod("t.count", { args: schemaCodec(v.number()), chunk: schemaCodec(v.number()) }),
  endless: streamMethod("t.endless", { args: word, chunk: schemaCodec(v.number()) }),
};

function metered() {
  const metrics = new Metrics();
  const service = new MeteredService(metrics)
    .on(m.echo, (text) => text)
    .on(m.missing, (text) => {
      throw new RealizeError("not_found", `no ${text}`);
    })
    .on(m.crash, () => {
      throw new TypeError("bug");
    })
    .on(m.hang, (_, { signal }) => new Promise((_, reject) => (signal.onabort = reject)))
    .onStream(m.count, function* (n) {
      for (let i = 0; i < n; i++) yield i;
    })
    .onStream(m.endless, async function* () {
      for (let i = 0; ; i++) yield i;
    });
  const [a, b] = memoryLinkPair({ name: "alpha" }, { name: "beta" });
  new RpcConnection(b, { service });
  return { metrics, client: new RpcConnection(a) };
}

async function count(metrics: Metrics, method: string, outcome: string): Promise<number> {
  const text = await metrics.text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`realize_requests_total{method="${method}",outcome="${outcome}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe("MeteredService", () => {
  test("calls count by method and outcome: ok, the error's code, internal for a bug", async () => {
    const { metrics, client } = metered();
    await client.call(m.echo, "a");
    await client.call(m.echo, "b");
    await client.call(m.missing, "x").catch(() => {});
    await client.call(m.crash, "x").catch(() => {});
    expect(await count(metrics, "t.echo", "ok")).toBe(2);
    expect(await count(metrics, "t.missing", "not_found")).toBe(1);
    expect(await count(metrics, "t.crash", "internal")).toBe(1);
    client.close();
  });

  test("a call the caller cancels counts as cancelled", async () => {
    const { metrics, client } = metered();
    const stop = new AbortController();
    const call = client.call(m.hang, "x", { signal: stop.signal }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 10));
    stop.abort();
    await call;
    await until(async () => (await count(metrics, "t.hang", "cancelled")) === 1);
    client.close();
  });

  test("a stream counts ok when it ends and cancelled when the caller breaks off", async () => {
    const { metrics, client } = metered();
    const got: number[] = [];
    for await (const n of client.stream(m.count, 3)) got.push(n);
    expect(got).toEqual([0, 1, 2]);
    await until(async () => (await count(metrics, "t.count", "ok")) === 1);
    for await (const n of client.stream(m.endless, "x")) if (n > 40) break;
    await until(async () => (await count(metrics, "t.endless", "cancelled")) === 1);
    client.close();
  });
});
