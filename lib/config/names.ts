/**
 * The rule for peer and arena names (CLI.md): 1 to 64 characters of a-z, 0-9, `_` and `-`.
 * Names become directory names in the mount and words on the command line, so nothing
 * else is allowed. Returns the reason a name breaks the rule, or undefined when it is fine.
 */
export function checkName(name: string): string | undefined {
  if (name.length === 0) return "must not be empty";
  if (name.length > 64) return `must have at most 64 characters, not ${name.length}`;
  const bad = /[^a-z0-9_-]/.exec(name);
  if (bad) {
    return `may contain only a-z, 0-9, "_" and "-"; "${name}" has ${JSON.stringify(bad[0])}`;
  }
  return undefined;
}
