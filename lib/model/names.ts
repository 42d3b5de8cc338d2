/** What a name is for: a peer of the household or an arena (CLI.md "Config"). */
export type NameKind = "peer" | "arena";

/** Longest peer or arena name, in characters. */
export const NAME_MAX_LENGTH = 64;

const NAME_CHAR = /^[a-z0-9_-]$/;

/**
 * Checks a peer or arena name: 1 to 64 characters, each of a-z, 0-9, `_` or `-`. Returns
 * undefined when the name is good, else a whole sentence naming the kind, the name and what
 * is wrong (e.g. `peer name "Nas" has "N"; only a-z, 0-9, "_" and "-" are allowed`), ready
 * for an error message. Names key the config tables and appear in mount paths and on the
 * wire, so nothing else is ever accepted.
 */
export function checkName(kind: NameKind, name: string): string | undefined {
  const quoted = JSON.stringify(name);
  if (name.length === 0) {
    return `${kind} name is empty; it needs 1 to ${NAME_MAX_LENGTH} characters of a-z, 0-9, "_" and "-"`;
  }
  for (const ch of name) {
    if (!NAME_CHAR.test(ch)) {
      return `${kind} name ${quoted} has ${JSON.stringify(ch)}; only a-z, 0-9, "_" and "-" are allowed`;
    }
  }
  if (name.length > NAME_MAX_LENGTH) {
    return `${kind} name ${quoted} has ${name.length} characters; at most ${NAME_MAX_LENGTH} are allowed`;
  }
  return undefined;
}
