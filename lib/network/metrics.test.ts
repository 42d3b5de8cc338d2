import { describe, expect, test } from "bun:test";
import { Metrics, noMetrics } from "./metrics.ts";

/** The value of one sample line, e.g. `realize_sent_bytes_total{peer="nas"}`, in `text`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("Metrics", () => {
  test("counters add up per label set and show in the text", async () => {
    const m = new Metrics();
    m.requestDone("get", "ok");
    m.requestDone("get", "ok");
    m.requestDone("get", "not_found");
    m.requestDone("history", "cancelled");
    m.bytesIn("nas", 100);
    m.bytesIn("nas", 23);
    m.bytesOut("nas", 5);
    m.bytesOut("laptop", 7);
    m.connectionRefused("unknown_key");
    m.frameError("too_large");
    m.frameError("too_large");
    const text = await m.text();
    expect(sample(text, 'realize_requests_total{method="get",outcome="ok"}')).toBe(2);
    expect(sample(text, 'realize_requests_total{method="get",outcome="not_found"}')).toBe(1);
    expect(sample(text, 'realize_requests_total{method="history",outcome="cancelled"}')).toBe(1);
    expect(sample(text, 'realize_received_bytes_total{peer="nas"}')).toBe(123);
    expect(sample(text, 'realize_sent_bytes_total{peer="nas"}')).toBe(5);
    expect(sample(text, 'realize_sent_bytes_total{peer="laptop"}')).toBe(7);
    expect(sample(text, 'realize_refused_connections_total{reason="unknown_key"}')).toBe(1);
    expect(sample(text, 'realize_frame_errors_total{reason="too_large"}')).toBe(2);
  });

  test("open connections go up and down per peer", async () => {
    const m = new Metrics();
    m.connectionOpened("nas");
    m.connectionOpened("nas");
    m.connectionOpened("laptop");
    m.connectionClosed("nas");
    m.connectionClosed("laptop");
    const text = await m.text();
    expect(sample(text, 'realize_open_connections{peer="nas"}')).toBe(1);
    expect(sample(text, 'realize_open_connections{peer="laptop"}')).toBe(0);
  });

  test("transfer durations land in histogram buckets by direction", async () => {
    const m = new Metrics();
    m.transferDuration("push", 0.2);
    m.transferDuration("push", 3);
    m.transferDuration("pull", 4000);
    const text = await m.text();
    const push = 'direction="push"';
    expect(sample(text, `realize_transfer_duration_seconds_bucket{le="0.25",${push}}`)).toBe(1);
    expect(sample(text, `realize_transfer_duration_seconds_bucket{le="5",${push}}`)).toBe(2);
    expect(sample(text, `realize_transfer_duration_seconds_count{${push}}`)).toBe(2);
    expect(sample(text, `realize_transfer_duration_seconds_sum{${push}}`)).toBeCloseTo(3.2);
    expect(
      sample(text, 'realize_transfer_duration_seconds_bucket{le="3600",direction="pull"}'),
    ).toBe(0);
    expect(
      sample(text, 'realize_transfer_duration_seconds_bucket{le="+Inf",direction="pull"}'),
    ).toBe(1);
  });

  test("every metric is named realize_* and has a HELP and TYPE line", async () => {
    const text = await new Metrics().text();
    const names = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]);
    expect(names.sort()).toEqual([
      "realize_frame_errors_total",
      "realize_open_connections",
      "realize_received_bytes_total",
      "realize_refused_connections_total",
      "realize_requests_total",
      "realize_sent_bytes_total",
      "realize_transfer_duration_seconds",
    ]);
    for (const name of names) expect(text).toMatch(new RegExp(`^# HELP ${name} \\S.+$`, "m"));
  });

  test("two instances in one process count separately", async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.bytesOut("nas", 10);
    b.bytesOut("nas", 1);
    expect(sample(await a.text(), 'realize_sent_bytes_total{peer="nas"}')).toBe(10);
    expect(sample(await b.text(), 'realize_sent_bytes_total{peer="nas"}')).toBe(1);
  });

  test("the content type is the Prometheus text format", () => {
    expect(new Metrics().contentType).toStartWith("text/plain; version=0.0.4");
    expect(noMetrics.contentType).toStartWith("text/plain; version=0.0.4");
  });
});

describe("noMetrics", () => {
  test("takes every call and reports nothing", async () => {
    noMetrics.requestDone("get", "ok");
    noMetrics.bytesIn("nas", 1);
    noMetrics.bytesOut("nas", 1);
    noMetrics.connectionOpened("nas");
    noMetrics.connectionClosed("nas");
    noMetrics.connectionRefused("tls");
    noMetrics.frameError("bad_cbor");
    noMetrics.transferDuration("pull", 1);
    expect(await noMetrics.text()).toBe("");
  });
});
