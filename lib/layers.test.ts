import { describe, expect, test } from "bun:test";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
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
  cli: ["model", "hash", "delta", "config", "storage", "network", "logic", "ui"],
  commands: ["model", "hash", "delta", "config", "storage", "network", "logic", "ui", "cli"],
};

function layerOf(root: string, file: string): string | undefined {
  const rel = relative(root, file).split("/");
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

/** Every import in the tree under `root` that goes up or sideways between layers. */
function layerViolations(root: string): string[] {
  const files = [...sourceFiles(join(root, "lib")), ...sourceFiles(join(root, "commands"))];
  const violations: string[] = [];
  for (const file of files) {
    const from = layerOf(root, file);
    if (!from || file.endsWith(".test.ts")) continue;
    if (!(from in ALLOWED)) {
      violations.push(`${relative(root, file)} is in no known layer`);
      continue;
    }
    for (const target of relativeImports(file)) {
      const to = layerOf(root, target);
      if (!to || to === from) continue;
      if (!ALLOWED[from]?.includes(to)) {
        violations.push(
          `${relative(root, file)} imports ${relative(root, target)} (${from} → ${to})`,
        );
      }
    }
  }
  return violations;
}

describe("layers", () => {
  test("imports in this project only go down the layers", () => {
    expect(layerViolations(resolve(import.meta.dir, ".."))).toEqual([]);
  });

  test("the check catches an upward import, a sideways import and an unknown layer", () => {
    const root = mkdtempSync(join(tmpdir(), "realize-layers-"));
    try {
      const write = (path: string, text: string) => {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      mkdirSync(join(root, "commands"));
      write("lib/model/a.ts", 'import { x } from "../storage/b.ts";\n');
      write("lib/storage/b.ts", 'export const x = await import("../network/c.ts");\n');
      write("lib/network/c.ts", 'import { y } from "../model/a.ts";\n');
      write("lib/misc/d.ts", "export const d = 1;\n");
      expect(layerViolations(root).sort()).toEqual([
        "lib/misc/d.ts is in no known layer",
        "lib/model/a.ts imports lib/storage/b.ts (model → storage)",
        "lib/storage/b.ts imports lib/network/c.ts (storage → network)",
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
