import * as v from "valibot";
import { checkName } from "../model/names.ts";
import { decodePeerKey } from "../model/peer-key.ts";
import { parseHostPort } from "./host-port.ts";
import { parseRate, parseSize } from "./size.ts";

/**
 * The valibot schemas of one config file, table by table. Every message says what is
 * expected and what was found, in the words of CLI.md; config.ts adds file, line and key.
 * Tables are strict: an unknown key is an error, with a suggestion when it looks like a typo.
 */

/** What a key means, used in "missing" messages. */
const REQUIRED: Record<string, string> = {
  peer: `the config needs a [peer] table with this peer's name, like name = "laptop"`,
  name: `write this peer's name, like name = "laptop"`,
  pubkey: 'write the key that `realize id` prints on that peer, like pubkey = "ed25519:…"',
};

/** Names a TOML value for messages: `the integer 7`, `a table`. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === "number") {
    return Number.isInteger(value) ? `the integer ${value}` : `the float ${value}`;
  }
  if (typeof value === "boolean") return `the boolean ${value}`;
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (value && typeof value === "object") return "a table";
  return String(value);
}

/** True when `a` looks like a typo of `b` (edit distance 2 at most). */
export function isNear(a: string, b: string): boolean {
  return distance(a, b) <= 2;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function tableMessage(
  table: string,
  keys: string[],
  listing = keys.join(", "),
): (issue: v.BaseIssue<unknown>) => string {
  return (issue) => {
    const key = issue.path?.at(-1)?.key;
    if (issue.expected === "never" && typeof key === "string") {
      const near = keys.find((k) => isNear(key, k));
      const hint = near ? `did you mean ${near}? ` : "";
      return `unknown key; ${hint}${table} takes ${listing}`;
    }
    if (issue.input === undefined && typeof key === "string") {
      return `missing; ${REQUIRED[key] ?? "this key is required"}`;
    }
    return `must be a table, not ${describeValue(issue.input)}`;
  };
}

function text(expected: string) {
  return v.string((issue) => `must be a string (${expected}), not ${describeValue(issue.input)}`);
}

/** A string or number checked by `parse`, which returns its value or a reason. */
function parsed<T>(expected: string, parse: (input: string) => T | string) {
  return v.pipe(
    text(expected),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const result = parse(dataset.value);
      if (typeof result === "string") {
        addIssue({ message: result });
        return NEVER;
      }
      return result;
    }),
  );
}

function bytes(expected: string, parse: (input: string | number) => number | string) {
  return v.pipe(
    v.union(
      [v.string(), v.number()],
      (issue) => `must be ${expected}, not ${describeValue(issue.input)}`,
    ),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const result = parse(dataset.value);
      if (typeof result === "string") {
        addIssue({ message: result });
        return NEVER;
      }
      return result;
    }),
  );
}

const nameSchema = v.pipe(
  text("a name of a-z, 0-9, _ and -"),
  v.rawCheck(({ dataset, addIssue }) => {
    const reason = dataset.typed ? checkName("peer", dataset.value) : undefined;
    if (reason) addIssue({ message: reason });
  }),
);
const hostPortSchema = parsed('HOST:PORT, like "nas.local:7744"', parseHostPort);

/** `[peer]`: this peer. */
export const localPeerSchema = v.strictObject(
  {
    name: nameSchema,
    listen: v.optional(hostPortSchema, "0.0.0.0:7744"),
    metrics: v.optional(hostPortSchema),
  },
  tableMessage("[peer]", ["name", "listen", "metrics"]),
);

/** `[peers.NAME]`: another member of the household. */
export const peerSchema = v.strictObject(
  {
    address: v.optional(hostPortSchema),
    pubkey: parsed('"ed25519:…" as `realize id` prints it', (input) => {
      const raw = decodePeerKey(input);
      return typeof raw === "string" ? raw : { text: input, raw };
    }),
    max_rate: v.optional(bytes('a rate, like "20MB/s"', parseRate)),
  },
  tableMessage("[peers.NAME]", ["address", "pubkey", "max_rate"]),
);

/** Default cap on an arena's blob cache: 1 GiB. */
export const DEFAULT_CACHE_MAX = "1GiB";

/** `[arenas.NAME]`: a shared tree. The root is checked by config.ts (it needs the home dir). */
export const arenaSchema = v.strictObject(
  {
    root: v.optional(
      v.pipe(
        text('an absolute directory, like "/home/me/Photos"'),
        v.check(
          (input) => input !== "",
          "must not be empty; leave root out for a cache-only arena",
        ),
      ),
    ),
    mode: v.optional(
      v.picklist(
        ["mirror", "partial"],
        (issue) => `must be "mirror" or "partial", not ${describeValue(issue.input)}`,
      ),
    ),
    cache_max: v.optional(bytes('a size, like "10GiB"', parseSize), DEFAULT_CACHE_MAX),
  },
  tableMessage("[arenas.NAME]", ["root", "mode", "cache_max"]),
);

/** True for a TOML table (not an array, not a date). */
export function isTable(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

/** A table whose entries are checked one by one by config.ts. */
const table = v.custom<Record<string, unknown>>(isTable, (issue) =>
  issue.input === undefined
    ? `missing; ${REQUIRED.peer}`
    : `must be a table, not ${describeValue(issue.input)}`,
);

/**
 * The top level of the file: which tables exist. Their contents are then checked with the
 * schemas above, each on its own, so that one bad table does not hide problems in others.
 */
export const configSchema = v.strictObject(
  {
    peer: table,
    peers: v.optional(table),
    arenas: v.optional(table),
  },
  tableMessage("the config", ["peer", "peers", "arenas"], "[peer], [peers.NAME], [arenas.NAME]"),
);
