import { createHash } from "node:crypto";
import { RealizeError } from "./errors.ts";

/** Longest component (file or directory name), in UTF-8 bytes, as on Linux filesystems. */
export const COMPONENT_MAX_BYTES = 255;
/** Longest arena path, in UTF-8 bytes (Linux PATH_MAX). */
export const PATH_MAX_BYTES = 4096;

const utf8Length = (text: string): number => Buffer.byteLength(text, "utf8");

/** Longest text of an arena path shown in an error message before it is cut. */
const SHOWN_MAX = 200;

function quote(text: string): string {
  const shown = text.length > SHOWN_MAX ? `${text.slice(0, SHOWN_MAX)}…` : text;
  return JSON.stringify(shown);
}

/**
 * Why `component` cannot be one name in a path, or undefined when it can. Does not look
 * for "/": callers split on it first.
 */
function checkComponent(component: string): string | undefined {
  if (component === "") return 'has an empty component ("//", or "/" at an end)';
  if (component === ".") return 'has a "." component';
  if (component === "..") return 'has a ".." component';
  const bytes = utf8Length(component);
  if (bytes > COMPONENT_MAX_BYTES) {
    return `has a component of ${bytes} bytes (${quote(component)}); at most ${COMPONENT_MAX_BYTES} are allowed`;
  }
  return undefined;
}

/** UTF-16 units that surely fit in `bytes` UTF-8 bytes (a unit never takes more than 3). */
const surelyFits = (units: number, bytes: number) => units * 3 <= bytes;

/**
 * checkComponent for `text.slice(start, end)`, without slicing it unless it is long enough
 * that its UTF-8 length must be counted.
 */
function checkSpan(text: string, start: number, end: number): string | undefined {
  const n = end - start;
  if (n > 2 && surelyFits(n, COMPONENT_MAX_BYTES)) return undefined;
  if (n > 0 && n <= 2 && text.charCodeAt(start) !== 0x2e) return undefined;
  return checkComponent(text.slice(start, end));
}

/**
 * Orders two valid path texts component by component, each by Unicode code point (which is
 * also the order of their UTF-8 bytes, so every peer sorts alike whatever its locale). Up to
 * the first unit where they differ the components are the same; there a "/" ends the
 * shorter component, which comes first, and so does a text that ends. Plain `<` on JS
 * strings compares UTF-16 units and puts U+E000..U+FFFF after astral characters; the
 * shift below undoes that.
 */
function comparePathTexts(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 0x2f) return -1;
    if (y === 0x2f) return 1;
    if (x >= 0xd800) x += x < 0xe000 ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y < 0xe000 ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * A validated path of a file or directory relative to an arena root (CLI.md "Files on
 * disk"): components separated by "/", no leading or trailing "/", no empty, "." or ".."
 * component, no NUL, valid Unicode, each component at most 255 UTF-8 bytes and the whole at
 * most 4096. Any other byte, backslash and newline included, is an ordinary part of a name.
 * The arena root itself is not an ArenaPath. Holding one promises the text cannot climb
 * out of the root by its spelling; symlinks on disk are the storage layer's concern.
 * Immutable; compared by value.
 */
export class ArenaPath {
  /** The path as written: `dir/sub/file`. */
  readonly text: string;
  #components: readonly string[] | undefined;

  private constructor(text: string) {
    this.text = text;
  }

  /** The names from the root down; never empty. */
  get components(): readonly string[] {
    this.#components ??= Object.freeze(this.text.split("/"));
    return this.#components;
  }

  /**
   * Why `text` is not a valid arena path (a phrase to follow the quoted path, e.g.
   * `has a ".." component`), or undefined when it is one.
   */
  static check(text: string): string | undefined {
    if (text === "") return "is empty";
    if (text.includes("\0")) return "contains a NUL byte";
    if (!text.isWellFormed()) return "is not valid Unicode (it has an unpaired surrogate)";
    if (text.charCodeAt(0) === 0x2f)
      return "is absolute; arena paths are relative to the arena root";
    if (!surelyFits(text.length, PATH_MAX_BYTES)) {
      const bytes = utf8Length(text);
      if (bytes > PATH_MAX_BYTES)
        return `is ${bytes} bytes long; at most ${PATH_MAX_BYTES} are allowed`;
    }
    for (let start = 0; ; ) {
      const slash = text.indexOf("/", start);
      const end = slash === -1 ? text.length : slash;
      const reason = checkSpan(text, start, end);
      if (reason !== undefined) return reason;
      if (slash === -1) return undefined;
      start = slash + 1;
    }
  }

  /** Validates `text`; throws RealizeError "bad_path" naming the path and what is wrong. */
  static parse(text: string): ArenaPath {
    const reason = ArenaPath.check(text);
    if (reason !== undefined) {
      throw new RealizeError("bad_path", `refusing path ${quote(text)}: it ${reason}`, {
        path: text,
      });
    }
    return new ArenaPath(text);
  }

  /** Like `parse`, but undefined instead of an error. */
  static tryParse(text: string): ArenaPath | undefined {
    return ArenaPath.check(text) === undefined ? new ArenaPath(text) : undefined;
  }

  /**
   * The path of `name` below `dir` (at the root when `dir` is undefined), or undefined when
   * that is not a valid path: the same answer as `tryParse` of the joined text, at the cost
   * of checking `name` alone (a walk builds one per directory entry).
   */
  static tryJoin(dir: ArenaPath | undefined, name: string): ArenaPath | undefined {
    if (dir === undefined) return ArenaPath.tryParse(name);
    if (ArenaPath.check(name) !== undefined) return undefined;
    const text = `${dir.text}/${name}`;
    if (!surelyFits(text.length, PATH_MAX_BYTES) && utf8Length(text) > PATH_MAX_BYTES) {
      return undefined;
    }
    return new ArenaPath(text);
  }

  /**
   * Orders paths component by component (by code point within a component), so a directory
   * comes right before everything below it and its whole subtree is contiguous:
   * `a`, `a/b`, `a b`, `a0`. For `Array.prototype.sort`; 0 only for equal paths.
   */
  static compare(this: void, a: ArenaPath, b: ArenaPath): number {
    return comparePathTexts(a.text, b.text);
  }

  /** `compare` for the texts of valid paths (or of single names, as siblings). */
  static compareText(this: void, a: string, b: string): number {
    return comparePathTexts(a, b);
  }

  /** The last component: the file or directory's own name. */
  get name(): string {
    return this.text.slice(this.text.lastIndexOf("/") + 1);
  }

  /** The directory holding this path, or undefined when it is at the arena root. */
  parent(): ArenaPath | undefined {
    const slash = this.text.lastIndexOf("/");
    return slash === -1 ? undefined : new ArenaPath(this.text.slice(0, slash));
  }

  /**
   * The path of `name` below this one. `name` may be one component or a relative path of
   * several; it is validated, and so is the length of the result (RealizeError "bad_path").
   */
  join(name: string): ArenaPath {
    const tail = ArenaPath.parse(name);
    return ArenaPath.parse(`${this.text}/${tail.text}`);
  }

  /** True when a component of this path is a partial file's name (see isPartialName). */
  namesPartial(): boolean {
    return this.text.includes(PARTIAL_SUFFIX) && this.components.some(isPartialName);
  }

  /** True when this path is `dir` itself or lies anywhere below it. */
  isWithin(dir: ArenaPath): boolean {
    return this.text === dir.text || this.text.startsWith(`${dir.text}/`);
  }

  equals(other: ArenaPath): boolean {
    return this.text === other.text;
  }

  toString(): string {
    return this.text;
  }

  /** The text, so JSON output shows paths as CLI.md specifies (`dir/file`). */
  toJSON(): string {
    return this.text;
  }
}

/** Ending of every partial file name: `.NAME.realize-partial` (CLI.md "Files on disk"). */
export const PARTIAL_SUFFIX = ".realize-partial";
/** Hex digits of the SHA-256 of NAME kept in a shortened partial name (128 bits). */
const PARTIAL_DIGEST_HEX = 32;

/**
 * True when a directory entry named `name` is a partial file (`.NAME.realize-partial`, in
 * full or shortened form). Such entries are never listed, synced or counted.
 */
export function isPartialName(name: string): boolean {
  return (
    name.length > 1 + PARTIAL_SUFFIX.length && name.startsWith(".") && name.endsWith(PARTIAL_SUFFIX)
  );
}

/**
 * The name of the partial file beside a target called `name`: `.NAME.realize-partial`.
 * When that would pass 255 bytes (NAME longer than 238 bytes), the partial is
 * `.PREFIX~DIGEST.realize-partial` instead: PREFIX is the longest run of whole characters
 * from the start of NAME that fits, DIGEST 32 hex digits of SHA-256(NAME). The result is
 * always a valid component of at most 255 bytes, depends on `name` alone (so a partial left
 * by a crash is found again by computing it from the target), and distinct names give
 * distinct partial names. Throws RealizeError "bad_path" unless `name` is one valid
 * component.
 */
export function partialNameFor(name: string): string {
  const reason = name.includes("/") ? 'contains "/"' : ArenaPath.check(name);
  if (reason !== undefined) {
    throw new RealizeError("bad_path", `refusing file name ${quote(name)}: it ${reason}`, {
      path: name,
    });
  }
  const full = `.${name}${PARTIAL_SUFFIX}`;
  if (utf8Length(full) <= COMPONENT_MAX_BYTES) return full;
  const digest = createHash("sha256")
    .update(name, "utf8")
    .digest("hex")
    .slice(0, PARTIAL_DIGEST_HEX);
  const budget = COMPONENT_MAX_BYTES - 1 - 1 - PARTIAL_DIGEST_HEX - PARTIAL_SUFFIX.length;
  let prefix = "";
  let used = 0;
  for (const ch of name) {
    const size = utf8Length(ch);
    if (used + size > budget) break;
    prefix += ch;
    used += size;
  }
  return `.${prefix}~${digest}${PARTIAL_SUFFIX}`;
}

/** The partial file beside `target`, in the same directory (see `partialNameFor`). */
export function partialPathFor(target: ArenaPath): ArenaPath {
  const name = partialNameFor(target.name);
  return target.parent()?.join(name) ?? ArenaPath.parse(name);
}
