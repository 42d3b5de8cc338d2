import { stringify } from "smol-toml";
import { isRealizeError, RealizeError } from "../model/errors.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import { parseConfig, readConfigText } from "./config.ts";
import { tomlLines } from "./toml-lines.ts";
import type { Config } from "./types.ts";

/** The tables of named entries that commands edit. */
export type NamedTable = "peers" | "arenas";

/** Values written into a new table; undefined entries are left out. */
export type TableEntries = Record<string, string | number | undefined>;

/**
 * Returns `text` with `[TABLE.NAME]` and its entries appended at the end, after one blank
 * line. Everything already in the text (comments, order, spacing) stays as it was.
 */
export function addTable(
  text: string,
  table: NamedTable,
  name: string,
  entries: TableEntries,
): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  let out = text;
  if (out !== "" && !out.endsWith("\n")) out += eol;
  if (out.trim() !== "" && !out.endsWith(`${eol}${eol}`)) out += eol;
  const body = Object.entries(entries)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => stringify({ [key]: value }).trimEnd())
    .join(eol);
  return `${out}[${table}.${name}]${eol}${body === "" ? "" : body + eol}`;
}

const isBlank = (line: string) => line.trim() === "";
const isComment = (line: string) => line.trimStart().startsWith("#");

/**
 * Returns `text` without the `[TABLE.NAME]` table: its header, its keys, the comment lines
 * directly above the header and directly below its last key. Comments that touch the next
 * table's header belong to that table and stay, as does anything after a blank line.
 * Undefined when the table is not written as a `[TABLE.NAME]` header (say, inline).
 */
export function removeTable(text: string, table: NamedTable, name: string): string | undefined {
  const lines = text.split("\n");
  const parsed = tomlLines(text);
  const headers = parsed.filter((l) => l.kind === "table");
  const index = headers.findIndex(
    (h) => h.path.length === 2 && h.path[0] === table && h.path[1] === name,
  );
  const header = headers[index];
  if (!header) return undefined;
  const start = header.line - 1;
  const next = headers[index + 1];
  let end = next ? next.line - 1 : lines.length;
  if (next) while (end > start + 1 && isComment(lines[end - 1]!)) end--;
  let core = end;
  while (core > start + 1 && (isBlank(lines[core - 1]!) || isComment(lines[core - 1]!))) core--;
  let cut = core;
  while (cut < end && isComment(lines[cut]!)) cut++;
  let above = start;
  while (above > 0 && isComment(lines[above - 1]!)) above--;
  while (
    cut < lines.length &&
    isBlank(lines[cut]!) &&
    (above === 0 || isBlank(lines[above - 1]!))
  ) {
    cut++;
  }
  return [...lines.slice(0, above), ...lines.slice(cut)].join("\n");
}

/**
 * Changes a config file in place: validates the current file (a bad config is refused
 * before anything is touched), lets `edit` return the new text given the old text and its
 * validated config, validates the new text the same way, and writes it atomically keeping
 * the file's mode. Returns the new config. Never writes a file that loadConfig would refuse.
 */
export async function editConfig(
  file: string,
  edit: (text: string, config: Config) => string | Promise<string>,
): Promise<Config> {
  const text = await readConfigText(file);
  const current = parseConfig(text, file);
  const changed = await edit(text, current);
  let after: Config;
  try {
    after = parseConfig(changed, file);
  } catch (err) {
    const reason = isRealizeError(err) ? err.message : String(err);
    throw new RealizeError(
      "config",
      `${file}: this change cannot be made by appending or removing a table here (${reason}); edit the file by hand`,
      { file },
      err,
    );
  }
  await writeFileAtomic(file, changed);
  return after;
}
