import { afterEach, beforeEach } from "bun:test";
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
 * Gives each test of the calling file (or describe block) a fresh `tempRoot()` and removes
 * it after the test. The returned object shows the current test's root, so read it inside
 * tests and hooks (hooks registered after this call see it already made).
 */
export function tempRootEachTest(): Omit<TempRoot, "cleanup"> {
  let current: TempRoot | undefined;
  const now = (): TempRoot => {
    if (!current) throw new Error("tempRootEachTest: the root exists only while a test runs");
    return current;
  };
  beforeEach(async () => {
    current = await tempRoot();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return {
    get root() {
      return now().root;
    },
    get dir() {
      return now().dir;
    },
    get outside() {
      return now().outside;
    },
  };
}

/** A 1 MiB tmpfs, mounted afresh for each test by `smallDiskEachTest`. */
export interface SmallDisk {
  /** Where it is mounted (an empty directory when mounting failed). */
  readonly dir: string;
  /** True, after warning that the test checks nothing, when it could not be mounted (needs root). */
  unavailable(): boolean;
}

/** Mounts a 1 MiB tmpfs before each test of the calling describe block (to fill a disk) and unmounts and removes it after. */
export function smallDiskEachTest(): SmallDisk {
  let dir = "";
  let mounted = false;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "realize-tmpfs-"));
    mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]).exitCode === 0;
  });
  afterEach(async () => {
    if (mounted && Bun.spawnSync(["umount", dir]).exitCode !== 0) {
      Bun.spawnSync(["umount", "-l", dir]);
    }
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    unavailable() {
      if (!mounted) console.warn("skipped: cannot mount a small tmpfs (needs root)");
      return !mounted;
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
