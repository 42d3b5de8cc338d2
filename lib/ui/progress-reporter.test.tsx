import { expect, test } from "bun:test";
import { renderToString } from "ink";
import type { TransferProgress, TransferSummary } from "../model/transfer.ts";
import { createReporter, LogReporter, SilentReporter, summaryLine } from "./progress-reporter.ts";
import { TransferView } from "./transfer-view.tsx";

const progress: TransferProgress = {
  arena: "photos",
  peer: "nas",
  direction: "push",
  files: { total: 10, done: 4, sent: 3, unchanged: 1, failed: 0 },
  bytes: { total: 4096, done: 1024, sent: 1000, wire: 1200 },
  inFlight: [
    { path: "a/one.jpg", size: 100, done: 50 },
    { path: "b/two.jpg", size: 200, done: 0 },
  ],
  elapsedMs: 1000,
};

const summary: TransferSummary = {
  arena: "photos",
  peer: "nas",
  direction: "pull",
  files: { total: 10, sent: 3, unchanged: 6, failed: 1 },
  bytes: { total: 4096, sent: 1000, wire: 1300 },
  failed: [{ path: "x", error: "disk full" }],
  seconds: 2,
  interrupted: true,
  dryRun: false,
};

test("the Ink view shows bytes, files, rate, ETA and the files in flight", () => {
  const text = renderToString(<TransferView progress={progress} />, { columns: 120 });
  expect(text).toContain("push photos → nas");
  expect(text).toContain("25%");
  expect(text).toContain("1.00 KiB of 4.00 KiB");
  expect(text).toContain("1.00 KiB/s");
  expect(text).toContain("ETA 3.0s");
  expect(text).toContain("files 4/10");
  expect(text).toContain("50% a/one.jpg");
  expect(text).toContain("0% b/two.jpg");
});

test("the log reporter writes one line per file and a summary", async () => {
  const lines: string[] = [];
  const r = new LogReporter((l) => lines.push(l));
  r.file({ path: "a b.txt", size: 2048, outcome: "sent", bytesSent: 1024 });
  r.file({ path: "gone.txt", size: 1, outcome: "failed", bytesSent: 0, error: "vanished" });
  r.file({ path: "same.txt", size: 1, outcome: "unchanged", bytesSent: 0 });
  await r.finish(summary);
  expect(lines).toEqual([
    "sent a b.txt (1.00 KiB sent of 2.00 KiB)\n",
    "failed gone.txt: vanished\n",
    "unchanged same.txt\n",
    `${summaryLine(summary)}\n`,
  ]);
  expect(summaryLine(summary)).toContain("run it again to resume");
});

test.each([
  ["auto", true, "InkReporter"],
  ["auto", false, "LogReporter"],
  ["log", true, "LogReporter"],
  ["none", true, "SilentReporter"],
  ["bar", false, "InkReporter"],
] as const)("mode %p on a TTY=%p gives %p", async (mode, tty, name) => {
  const r = await createReporter(mode, tty);
  expect(r.constructor.name).toBe(name);
  expect(new SilentReporter()).toBeInstanceOf(SilentReporter);
});

test("the silent reporter shows no progress but names each failed file at the end", async () => {
  const lines: string[] = [];
  const r = new SilentReporter((l) => lines.push(l));
  r.progress();
  r.file();
  expect(lines).toEqual([]);
  await r.finish(summary);
  expect(lines).toEqual(["failed x: disk full\n"]);
  await new SilentReporter((l) => lines.push(l)).finish({ ...summary, failed: [] });
  expect(lines).toHaveLength(1);
});
