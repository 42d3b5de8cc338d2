import { describe, expect, spyOn, test } from "bun:test";
import { capturingLogger, formatLogEntry, stderrLogger } from "./logger.ts";

describe("logger", () => {
  test.each([
    [{ peer: "nas", port: 7744, ok: true }, "warn closing connection peer=nas port=7744 ok=true"],
    [
      { reason: "frame of 9 bytes", gone: undefined },
      'warn closing connection reason="frame of 9 bytes"',
    ],
    [{ reason: "two\nlines", empty: "" }, 'warn closing connection reason="two\\nlines" empty=""'],
    [
      { quote: 'a"b', eq: "k=v", none: null },
      'warn closing connection quote="a\\"b" eq="k=v" none=null',
    ],
  ])("one line per event: %o", (fields, line) => {
    expect(formatLogEntry({ level: "warn", message: "closing connection", fields })).toBe(line);
  });

  test("stderr gets entries at or above the level, one line each", () => {
    const write = spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const logger = stderrLogger("info");
      logger.log("debug", "hidden");
      logger.log("info", "shown", { peer: "nas" });
      logger.log("error", "bad\nthing");
      expect(write.mock.calls.map((c) => c[0])).toEqual([
        "realize: info shown peer=nas\n",
        "realize: error bad\\nthing\n",
      ]);
    } finally {
      write.mockRestore();
    }
  });

  test("a capturing logger keeps every entry, fields copied", () => {
    const logger = capturingLogger();
    const fields = { peer: "nas" };
    logger.log("debug", "a", fields);
    fields.peer = "changed";
    logger.log("warn", "b");
    expect(logger.entries).toEqual([
      { level: "debug", message: "a", fields: { peer: "nas" } },
      { level: "warn", message: "b", fields: {} },
    ]);
  });
});
