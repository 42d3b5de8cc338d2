import { expect, test } from "bun:test";
import { WorkerCalls } from "./worker-calls.ts";

interface Ask {
  id: number;
  value: number;
  delayMs: number;
  crash?: boolean;
}
interface Answer {
  id: number;
  doubled: number;
}

const url = new URL("./worker-calls-test-worker.ts", import.meta.url).href;

test("replies reach their own calls, whatever order they come back in", async () => {
  const calls = new WorkerCalls<Ask, Answer>(url, "the test worker");
  const slow = calls.call({ value: 1, delayMs: 60 });
  const fast = calls.call({ value: 2, delayMs: 0 });
  expect((await fast).doubled).toBe(4);
  expect((await slow).doubled).toBe(2);
});

test("a failed thread rejects what waits on it, naming it, and the next call starts a new one", async () => {
  const calls = new WorkerCalls<Ask, Answer>(url, "the test worker");
  const waiting = calls.call({ value: 1, delayMs: 2000 });
  const crashing = calls.call({ value: 0, delayMs: 0, crash: true });
  const failures = await Promise.allSettled([waiting, crashing]);
  for (const f of failures) {
    expect(f.status).toBe("rejected");
    expect(String((f as PromiseRejectedResult).reason)).toContain("the test worker failed");
  }
  expect((await calls.call({ value: 5, delayMs: 0 })).doubled).toBe(10);
});
