import type { ArenaPath } from "../model/arena-path.ts";
import { RealizeError } from "../model/errors.ts";
import { fsyncDir } from "./fsync-dir.ts";
import { libcError } from "./libc.ts";
import type { ExpectedContent, FileMeta, PartialFile } from "./partial-file.ts";
import type { RealEntry } from "./real-entry.ts";
import type { RealRoot } from "./real-root.ts";
import { syncFilesystem } from "./sync-fs.ts";

/** How a batch makes its partials durable before renaming them. */
export type FlushMode =
  /** One syncfs(2) per filesystem the batch touches (Linux; falls back to "fsync"). */
  | "syncfs"
  /** fsync(2) on every partial, all in flight at once (see PartialFile.sync). */
  | "fsync";

/** The outcome for one file of a batch: its new entry, or why it was not committed. */
export type BatchResult =
  | { path: ArenaPath; entry: RealEntry; error?: undefined }
  | { path: ArenaPath; error: RealizeError; entry?: undefined };

interface Item {
  partial: PartialFile;
  expected: ExpectedContent;
  meta: FileMeta;
}

/**
 * Commits many fully written partial files of one root together, so that small files do
 * not each pay a flush (about 0.15–0.65 ms apiece): every partial is verified and given its
 * mode and mtime, then all are made durable in one round (see FlushMode), then renamed
 * over their targets, then each directory touched is fsynced once. A crash at any instant
 * leaves each target old or new, never a mix, because nothing is renamed before the
 * flush. Failures are per file (see BatchResult); a file whose content does not verify
 * never reaches its target. Add files with `add`, watch `count`/`bytes` to decide when to
 * `commit`. Measured (bench/storage/run.ts, 20,000 files of 0–4 KiB on ext4): 10.0 s in
 * batches of 256 with syncfs, 11.9 s with parallel fsync, 23.7 s committed one by one;
 * plain unflushed writeFile calls take 6.2 s.
 */
export class DurableBatch {
  readonly root: RealRoot;
  readonly #mode: FlushMode;
  #items: Item[] = [];
  #bytes = 0;

  constructor(root: RealRoot, options: { flush?: FlushMode } = {}) {
    this.root = root;
    this.#mode = options.flush ?? "syncfs";
  }

  /** Files waiting for `commit`. */
  get count(): number {
    return this.#items.length;
  }

  /** Bytes of content waiting for `commit`. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Queues a partial whose content is fully written; the batch owns it from now on. */
  add(partial: PartialFile, expected: ExpectedContent, meta: FileMeta): void {
    if (partial.root !== this.root) throw new Error("a DurableBatch commits files of its own root");
    this.#items.push({ partial, expected, meta });
    this.#bytes += expected.size;
  }

  /** Commits every queued file (see the class comment); the batch is empty afterwards. */
  async commit(): Promise<BatchResult[]> {
    const items = this.#items;
    this.#items = [];
    this.#bytes = 0;
    const results = new Map<Item, BatchResult>();
    const fail = async (item: Item, e: unknown) => {
      await item.partial.close().catch(() => undefined);
      results.set(item, { path: item.partial.target, error: asRealizeError(e, item) });
    };

    const ready: Item[] = [];
    for (const item of items) {
      try {
        await item.partial.verify(item.expected);
        await item.partial.applyMeta(item.meta);
        ready.push(item);
      } catch (e) {
        await fail(item, e);
      }
    }

    const flushed = await this.#flush(ready, fail);
    const dirs = new Map<string, { dir: ArenaPath | undefined; items: Item[] }>();
    for (const item of flushed) {
      try {
        const entry = await item.partial.publish();
        results.set(item, { path: item.partial.target, entry });
        const dir = item.partial.target.parent();
        const key = dir?.text ?? "";
        const group = dirs.get(key) ?? { dir, items: [] };
        group.items.push(item);
        dirs.set(key, group);
      } catch (e) {
        await fail(item, e);
      }
    }
    await Promise.all(
      [...dirs.values()].map(async ({ dir, items: inDir }) => {
        try {
          await fsyncDir(this.root, dir);
        } catch (e) {
          for (const item of inDir) await fail(item, e);
        }
      }),
    );
    return items.map((item) => results.get(item)!);
  }

  /** Makes the partials of `items` durable; returns those that are. */
  async #flush(items: Item[], fail: (item: Item, e: unknown) => Promise<void>): Promise<Item[]> {
    if (this.#mode === "syncfs" && items.length > 0) {
      const byDevice = new Map<bigint, Item[]>();
      for (const item of items) {
        const dev = (await item.partial.stats()).dev;
        byDevice.set(dev, [...(byDevice.get(dev) ?? []), item]);
      }
      const flushed = await Promise.all(
        [...byDevice.values()].map(async (group) => ({
          group,
          errno: await syncFilesystem(group[0]!.partial.fd),
        })),
      );
      if (flushed.every(({ errno }) => errno !== -1)) {
        const ok: Item[] = [];
        for (const { group, errno } of flushed) {
          if (errno === 0) {
            ok.push(...group);
            continue;
          }
          const cause = libcError("syncfs", this.root.dir, errno);
          for (const item of group) await fail(item, await item.partial.failed("flush", cause));
        }
        return ok;
      }
    }
    const done = await Promise.all(
      items.map(async (item) => {
        try {
          await item.partial.sync();
          return true;
        } catch (e) {
          await fail(item, e);
          return false;
        }
      }),
    );
    return items.filter((_, i) => done[i]);
  }
}

function asRealizeError(e: unknown, item: Item): RealizeError {
  if (e instanceof RealizeError) return e;
  const reason = e instanceof Error ? e.message : String(e);
  return new RealizeError(
    "io",
    `cannot commit ${item.partial.targetAbsolute}: ${reason}`,
    { path: item.partial.target.text },
    e,
  );
}
