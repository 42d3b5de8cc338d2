/**
 * Finds where things are written in a TOML text, for error messages and for edits that keep
 * the user's layout. It reads table headers (`[a.b]`, `[[a]]`) and `key = value` lines,
 * with dotted and quoted keys, and skips comments and multi-line strings. It does not parse
 * values: the real parser (smol-toml) does that; this only needs to be right on text that
 * parser accepted, and never throws on text it did not.
 */

/** One table header or key line of a TOML text. */
export interface TomlLine {
  /** 1-based line number. */
  line: number;
  kind: "table" | "key";
  /** The full key path: table path plus the key's own (possibly dotted) path. */
  path: string[];
}

/** Lists every table header and key line of `text`, in order. */
export function tomlLines(text: string): TomlLine[] {
  const out: TomlLine[] = [];
  const lines = text.split(/\r?\n/);
  let table: string[] = [];
  let closing: string | undefined;
  lines.forEach((raw, index) => {
    if (closing !== undefined) {
      if (raw.includes(closing)) closing = undefined;
      return;
    }
    const reader = new KeyReader(raw);
    reader.skipSpace();
    const first = raw[reader.pos];
    if (first === undefined || first === "#") return;
    if (first === "[") {
      reader.pos += raw[reader.pos + 1] === "[" ? 2 : 1;
      const path = reader.readKey();
      if (path) {
        table = path;
        out.push({ line: index + 1, kind: "table", path });
      }
      return;
    }
    const path = reader.readKey();
    if (!path) return;
    reader.skipSpace();
    if (raw[reader.pos] !== "=") return;
    out.push({ line: index + 1, kind: "key", path: [...table, ...path] });
    const value = raw.slice(reader.pos + 1).trimStart();
    for (const quotes of ['"""', "'''"]) {
      if (value.startsWith(quotes) && !value.slice(3).includes(quotes)) closing = quotes;
    }
  });
  return out;
}

/**
 * The line where `path` is written, or else where its closest written parent is (a missing
 * key points at its table header; a key inside an inline table at the inline table's line).
 * A table only defined through a child (`[a.b]` defines `a`) is found at that child.
 * Undefined when not even the first segment is written anywhere.
 */
export function lineOfKey(lines: TomlLine[], path: readonly string[]): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const found = lines.find(
      (l) => l.path.length >= n && path.slice(0, n).every((segment, i) => segment === l.path[i]),
    );
    if (found) return found.line;
  }
  return undefined;
}

/** Writes a key path as TOML would, quoting segments that are not bare keys. */
export function dottedKey(path: readonly (string | number)[]): string {
  return path
    .map((segment) =>
      typeof segment === "number"
        ? `[${segment}]`
        : /^[A-Za-z0-9_-]+$/.test(segment)
          ? segment
          : JSON.stringify(segment),
    )
    .join(".")
    .replaceAll(".[", "[");
}

class KeyReader {
  pos = 0;
  constructor(private readonly text: string) {}

  skipSpace(): void {
    while (this.text[this.pos] === " " || this.text[this.pos] === "\t") this.pos++;
  }

  /** Reads a dotted key; undefined when the text here is not one. */
  readKey(): string[] | undefined {
    const path: string[] = [];
    for (;;) {
      this.skipSpace();
      const segment = this.readSegment();
      if (segment === undefined) return undefined;
      path.push(segment);
      this.skipSpace();
      if (this.text[this.pos] !== ".") return path;
      this.pos++;
    }
  }

  private readSegment(): string | undefined {
    const quote = this.text[this.pos];
    if (quote === "'") {
      const end = this.text.indexOf("'", this.pos + 1);
      if (end < 0) return undefined;
      const segment = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return segment;
    }
    if (quote === '"') return this.readBasicString();
    const bare = /^[A-Za-z0-9_-]+/.exec(this.text.slice(this.pos));
    if (!bare) return undefined;
    this.pos += bare[0].length;
    return bare[0];
  }

  private readBasicString(): string | undefined {
    let end = this.pos + 1;
    while (end < this.text.length && this.text[end] !== '"') {
      end += this.text[end] === "\\" ? 2 : 1;
    }
    if (end >= this.text.length) return undefined;
    const literal = this.text.slice(this.pos, end + 1);
    this.pos = end + 1;
    try {
      return JSON.parse(literal) as string;
    } catch {
      return literal.slice(1, -1);
    }
  }
}
