import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { resolve, sep } from "node:path";
import { parse, TomlError } from "smol-toml";
import * as v from "valibot";
import { errorMessage, isRealizeError, RealizeError } from "../model/errors.ts";
import { checkName } from "../model/names.ts";
import {
  arenaSchema,
  configSchema,
  isNear,
  isTable,
  localPeerSchema,
  peerSchema,
} from "./config-schema.ts";
import { dottedKey, lineOfKey, type TomlLine, tomlLines } from "./toml-lines.ts";
import type { ArenaConfig, Config, PeerConfig } from "./types.ts";

/** A problem found in a config, before it is given its line. */
interface Problem {
  path: string[];
  message: string;
}

/**
 * Reads and validates a config file (CLI.md "Config"). Throws RealizeError("config_missing")
 * when the file does not exist, and RealizeError("config") for anything wrong in it: every
 * problem is one line `FILE:LINE: KEY: what is expected`, sorted by line; `data` points at
 * the first. Nothing else is ever thrown for bad content.
 */
export async function loadConfig(file: string): Promise<Config> {
  return parseConfig(await readConfigText(file), file);
}

/** Reads a config file as text: config_missing when absent, config when unreadable or not UTF-8. */
export async function readConfigText(file: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ENOENT") {
      throw new RealizeError("config_missing", `no config at ${file}`, { file });
    }
    const reason = errorMessage(err);
    throw new RealizeError("config", `cannot read the config ${file}: ${reason}`, { file }, err);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new RealizeError("config", `${file}: is not UTF-8 text, so not a TOML config`, { file });
  }
}

/**
 * Validates config text that claims to come from `file` (used by loadConfig and, before
 * writing, by config edits). Arena roots may be absolute or start with `~/` (the home
 * directory `home`); relative roots are refused so that the meaning of a config never
 * depends on the current directory. Roots are not touched here: a missing root is reported
 * by the code that would use it, never created or emptied.
 */
export function parseConfig(withBom: string, file: string, home: string = homedir()): Config {
  const text = withBom.startsWith("\uFEFF") ? withBom.slice(1) : withBom;
  const lines = tomlLines(text);
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw syntaxError(err, file);
  }
  const problems: Problem[] = [];
  check(configSchema, raw, [], problems);
  const doc = tableOrEmpty(raw);
  const self = isTable(doc.peer) ? check(localPeerSchema, doc.peer, ["peer"], problems) : undefined;

  const peers: Record<string, PeerConfig> = Object.create(null);
  for (const [name, value] of Object.entries(tableOrEmpty(doc.peers))) {
    const entry = checkNamed(peerSchema, "peers", name, value, problems);
    if (!entry) continue;
    peers[name] = {
      name,
      pubkey: entry.pubkey.text,
      pubkeyRaw: entry.pubkey.raw,
      ...(entry.address && { address: entry.address }),
      ...(entry.max_rate !== undefined && { maxRate: entry.max_rate }),
    };
  }
  const arenas: Record<string, ArenaConfig> = Object.create(null);
  for (const [name, value] of Object.entries(tableOrEmpty(doc.arenas))) {
    const entry = checkNamed(arenaSchema, "arenas", name, value, problems);
    if (!entry) continue;
    const root = entry.root === undefined ? undefined : arenaRoot(entry.root, home);
    if (typeof root === "object") {
      problems.push({ path: ["arenas", name, "root"], message: root.problem });
      continue;
    }
    if (root === undefined && entry.mode === "mirror") {
      problems.push({
        path: ["arenas", name, "mode"],
        message: `"mirror" needs a root (every file becomes real there); add root, or use mode = "partial" for a cache-only arena`,
      });
      continue;
    }
    const mode = entry.mode ?? (root === undefined ? "partial" : "mirror");
    arenas[name] = { name, mode, cacheMax: entry.cache_max, ...(root && { root }) };
  }
  crossCheck(self?.name, peers, arenas, lines, problems);
  if (!self || problems.length > 0) throw report(problems, lines, file);
  return { file, peer: { ...self }, peers, arenas };
}

function tableOrEmpty(value: unknown): Record<string, unknown> {
  return isTable(value) ? value : {};
}

function check<T extends v.GenericSchema>(
  schema: T,
  value: unknown,
  prefix: string[],
  problems: Problem[],
): v.InferOutput<T> | undefined {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const unknown = result.issues.filter((issue) => issue.expected === "never");
  for (const issue of result.issues) {
    const path = (issue.path ?? []).map((item: { key: unknown }) => String(item.key));
    if (isMissingTypo(issue, path, unknown)) continue;
    problems.push({ path: [...prefix, ...path], message: issue.message });
  }
  return undefined;
}

/** A missing key next to an unknown key that looks like it: the typo message says it all. */
function isMissingTypo(
  issue: v.BaseIssue<unknown>,
  path: string[],
  unknown: v.BaseIssue<unknown>[],
) {
  if (issue.input !== undefined || !issue.expected?.startsWith('"')) return false;
  const missing = path.at(-1) ?? "";
  return unknown.some((other) => {
    const otherPath = (other.path ?? []).map((item: { key: unknown }) => String(item.key));
    return (
      otherPath.length === path.length &&
      otherPath.slice(0, -1).join("\0") === path.slice(0, -1).join("\0") &&
      isNear(otherPath.at(-1) ?? "", missing)
    );
  });
}

function checkNamed<T extends v.GenericSchema>(
  schema: T,
  table: string,
  name: string,
  value: unknown,
  problems: Problem[],
): v.InferOutput<T> | undefined {
  const reason = checkName(table === "peers" ? "peer" : "arena", name);
  if (reason) {
    problems.push({ path: [table, name], message: reason });
    return undefined;
  }
  return check(schema, value, [table, name], problems);
}

function arenaRoot(root: string, home: string): string | { problem: string } {
  if (root.includes("\0")) return { problem: "must not contain a NUL character" };
  if (root === "~" || root.startsWith("~/")) return resolve(home, root.slice(2));
  if (!root.startsWith("/")) {
    return {
      problem: `must be an absolute directory (or start with ~/), not ${JSON.stringify(root)}`,
    };
  }
  return resolve(root);
}

function crossCheck(
  self: string | undefined,
  peers: Record<string, PeerConfig>,
  arenas: Record<string, ArenaConfig>,
  lines: TomlLine[],
  problems: Problem[],
): void {
  const where = (path: string[]) => `${dottedKey(path)} (line ${lineOfKey(lines, path) ?? "?"})`;
  if (self !== undefined && peers[self]) {
    problems.push({
      path: ["peers", self],
      message: `"${self}" is this peer's own name ([peer] name); the household lists the other peers`,
    });
  }
  const keys = new Map<string, string>();
  for (const peer of Object.values(peers)) {
    const first = keys.get(peer.pubkey);
    if (first === undefined) keys.set(peer.pubkey, peer.name);
    else {
      problems.push({
        path: ["peers", peer.name, "pubkey"],
        message: `same key as ${where(["peers", first, "pubkey"])}; each peer has its own key`,
      });
    }
  }
  const rooted = Object.values(arenas).filter((a) => a.root !== undefined);
  rooted.forEach((arena, index) => {
    for (const other of rooted.slice(0, index)) {
      const overlap = rootOverlap(arena.root!, other.root!);
      if (!overlap) continue;
      problems.push({
        path: ["arenas", arena.name, "root"],
        message: `${overlap} ${where(["arenas", other.name, "root"])}; one directory belongs to one arena`,
      });
      return;
    }
  });
}

/** How two absolute roots overlap, as words for a message; undefined when they do not. */
export function rootOverlap(root: string, other: string): string | undefined {
  const inside = (a: string, b: string) => a.startsWith(b.endsWith(sep) ? b : b + sep);
  if (root === other) return "is the same directory as";
  if (inside(root, other)) return "is inside";
  if (inside(other, root)) return "contains";
  return undefined;
}

function report(problems: Problem[], lines: TomlLine[], file: string): RealizeError {
  const located = problems
    .map((p) => ({ ...p, line: lineOfKey(lines, p.path) ?? 1, key: dottedKey(p.path) }))
    .sort((a, b) => a.line - b.line);
  const message = located.map((p) => `${file}:${p.line}: ${p.key}: ${p.message}`).join("\n");
  const first = located[0]!;
  return new RealizeError("config", message, { file, line: first.line, key: first.key });
}

function syntaxError(err: unknown, file: string): RealizeError {
  if (isRealizeError(err)) return err;
  if (err instanceof TomlError) {
    const reason = err.message.replace(/^Invalid TOML document: /, "").split("\n")[0];
    return new RealizeError(
      "config",
      `${file}:${err.line}: TOML syntax error: ${reason}`,
      { file, line: err.line },
      err,
    );
  }
  const reason = errorMessage(err);
  return new RealizeError("config", `${file}: cannot read it as TOML: ${reason}`, { file }, err);
}
