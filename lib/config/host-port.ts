import { isIPv4, isIPv6 } from "node:net";
import type { HostPort } from "./types.ts";

const PORT = /^[1-9][0-9]{0,4}$/;
const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const EXAMPLE = `like "nas.local:7744" or "[fd00::2]:7744"`;

/**
 * Parses `HOST:PORT` or `[IPV6]:PORT` (CLI.md: ports 1–65535). HOST is a DNS name, an IPv4
 * address, or an IPv6 address in brackets. Returns the reason when the text is not one.
 */
export function parseHostPort(text: string): HostPort | string {
  if (text === "") return `must not be empty; write HOST:PORT, ${EXAMPLE}`;
  let host: string;
  let port: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return `"${text}" has "[" without "]"; write [IPV6]:PORT, like "[::1]:7744"`;
    host = text.slice(1, close);
    if (text[close + 1] !== ":") return `"${text}" has no ":PORT" after "]"`;
    port = text.slice(close + 2);
    if (!isIPv6(host)) return `"${host}" in brackets is not an IPv6 address`;
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) return `"${text}" has no port; write HOST:PORT, ${EXAMPLE}`;
    host = text.slice(0, colon);
    port = text.slice(colon + 1);
    if (host.includes(":")) {
      return `"${text}": an IPv6 address goes in brackets, like "[${host}]:${port}"`;
    }
    const reason = checkHost(host);
    if (reason) return reason;
  }
  if (!PORT.test(port) || Number(port) > 65535) {
    return `port must be a number from 1 to 65535, not "${port}"`;
  }
  return { host, port: Number(port) };
}

function checkHost(host: string): string | undefined {
  if (host === "") return "the host is missing before the port";
  if (/^[0-9.]+$/.test(host)) {
    return isIPv4(host) ? undefined : `"${host}" is not an IPv4 address`;
  }
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name.length > 253) return `host name "${host}" is longer than 253 characters`;
  for (const label of name.split(".")) {
    if (!LABEL.test(label)) {
      return `"${host}" is not a host name (letters, digits, "-" and "_" between dots)`;
    }
  }
  return undefined;
}

/** Writes a HostPort back as the config spells it; IPv6 hosts get brackets. */
export function formatHostPort(address: HostPort): string {
  return address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
