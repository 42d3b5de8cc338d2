import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { formatHostPort, parseHostPort } from "./host-port.ts";

describe("parseHostPort", () => {
  test.each([
    ["nas.local:7744", "nas.local", 7744],
    ["0.0.0.0:7744", "0.0.0.0", 7744],
    ["127.0.0.1:1", "127.0.0.1", 1],
    ["localhost:65535", "localhost", 65535],
    ["[::1]:7744", "::1", 7744],
    ["[fd00::2]:9744", "fd00::2", 9744],
    ["[::]:7744", "::", 7744],
    ["my_host-2.lan.:80", "my_host-2.lan.", 80],
  ])("%p is host %p port %p", (text, host, port) => {
    expect(parseHostPort(text)).toEqual({ host, port });
  });

  test.each([
    ["nas.local:0", 'port must be a number from 1 to 65535, not "0"'],
    ["nas.local:65536", 'not "65536"'],
    ["nas.local:99999", 'not "99999"'],
    ["nas.local:07744", 'not "07744"'],
    ["nas.local:-1", 'not "-1"'],
    ["nas.local:", 'not ""'],
    ["nas.local:http", 'not "http"'],
    ["nas.local", "has no port"],
    ["", "must not be empty"],
    [":7744", "host is missing"],
    ["::1:7744", "an IPv6 address goes in brackets"],
    ["[::1]7744", 'no ":PORT" after "]"'],
    ["[::1:7744", 'without "]"'],
    ["[nas]:7744", "is not an IPv6 address"],
    ["999.1.1.1:7744", "is not an IPv4 address"],
    ["nas..local:7744", "is not a host name"],
    ["-nas:7744", "is not a host name"],
    ["nas local:7744", "is not a host name"],
    [`${"a".repeat(64)}:7744`, "is not a host name"],
  ])("%p is refused: %s", (text, reason) => {
    const result = parseHostPort(text);
    expect(typeof result).toBe("string");
    expect(result as string).toContain(reason);
  });

  test("formatHostPort writes what parseHostPort reads", () => {
    const host = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.domain().filter((d) => d.length <= 253),
    );
    fc.assert(
      fc.property(host, fc.integer({ min: 1, max: 65535 }), (h, port) => {
        const text = formatHostPort({ host: h, port });
        expect(parseHostPort(text)).toEqual({ host: h, port });
      }),
    );
  });
});
