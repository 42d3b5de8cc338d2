import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { RealRoot } from "./real-root.ts";

/** A temporary arena root for tests, removed by `cleanup`. */
export interface TempRoot {
  root: RealRoot;
  /** Absolute path of the root directory. */
  dir: string;
  /** Absolute path of a sibling directory outside the root (for escape attempts). */
  outside: string;
  cleanup(): Promise<void>;
}

/** Creates a fresh root under /tmp with a sibling "outside" directory. */
export async function tempRoot(): Promise<TempRoot> {
  const base = await mkdtemp(join(tmpdir(), "realize-storage-"));
  const dir = join(base, "root");
  const outside = join(base, "outside");
  await mkdir(dir);
  await mkdir(outside);
  return {
    root: new RealRoot(dir),
    dir,
    outside,
    cleanup: async () => {
      // paths past PATH_MAX (built by some tests) need rm's openat-based descent
      await rm(base, { recursive: true, force: true }).catch(() =>
        Bun.spawnSync(["rm", "-rf", base]),
      );
    },
  };
}

/**
 * Fills `dir` from a table: a string value is a file's content, `{ link }` a symlink,
 * `{ dir: true }` an (empty) directory. Parents are created as needed.
 */
export async function writeTree(
  dir: string,
  tree: Record<string, string | Uint8Array | { link: string } | { dir: true }>,
): Promise<void> {
  for (const [path, what] of Object.entries(tree)) {
    const abs = join(dir, path);
    await mkdir(dirname(abs), { recursive: true });
    if (typeof what === "string" || what instanceof Uint8Array) await writeFile(abs, what);
    else if ("link" in what) await symlink(what.link, abs);
    else await mkdir(abs, { recursive: true });
  }
}
