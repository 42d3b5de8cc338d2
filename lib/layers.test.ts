import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * Imports go downward only (DESIGN.md "Layers"). Each layer lists the layers it may import;
 * a file that needs more is in the wrong place.
 */
const ALLOWED: Record<string, string[]> = {
  model: [],
  hash: ["model"],
  delta: ["model", "hash"],
  config: ["model"],
  storage: ["model", "hash", "delta", "config"],
  network: ["model", "hash", "delta", "config"],
  logic: ["model", "hash", "delta", "config", "storage", "network"],
  ui: ["model", "config"],
  cli: ["model", "config", "ui"],
  commands: ["model", "hash", "delta", "config", "storage", "network", "logic", "ui", "cli"],
};

const ROOT = resolve(import.meta.dir, "..");

function layerOf(file: string): string | undefined {
  const rel = relative(ROOT, file).split("/");
  if (rel[0] === "commands") return "commands";
  if (rel[0] === "lib" && rel.length > 2) return rel[1];
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

const IMPORT =
  /(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function relativeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)]
    .map((m) => m[1] ?? m[2] ?? "")
    .filter((spec) => spec.startsWith("."))
    .map((spec) => resolve(dirname(file), spec));
}

describe("layers", () => {
  const files = [...sourceFiles(join(ROOT, "lib")), ...sourceFiles(join(ROOT, "commands"))];

  test("every lib folder is a known layer", () => {
    for (const file of files) {
      const layer = layerOf(file);
      if (layer !== undefined) expect(Object.keys(ALLOWED)).toContain(layer);
    }
  });

  test("imports only go down the layers", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      if (!from || file.endsWith(".test.ts")) continue;
      for (const target of relativeImports(file)) {
        const to = layerOf(target);
        if (!to || to === from) continue;
        if (!ALLOWED[from]?.includes(to)) {
          violations.push(
            `${relative(ROOT, file)} imports ${relative(ROOT, target)} (${from} → ${to})`,
          );
        }
      }
    }
    expect(violations).toEqual([]);
  });

  test("the checker sees a violation", () => {
    expect(ALLOWED.model).toEqual([]);
    expect(ALLOWED.storage).not.toContain("network");
    expect(ALLOWED.network).not.toContain("storage");
  });
});
