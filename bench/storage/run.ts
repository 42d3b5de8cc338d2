/**
 * Storage benchmark: walking, indexing and durably receiving many small files.
 *
 *   bun bench/storage/run.ts [--files 20000] [--dirs 200] [--batch 256] [--dir /tmp/x]
 *
 * Builds FILES files of 0–4 KiB in DIRS directories under a fresh temporary root (or
 * --dir, which must be empty or missing; the root is removed at the end), then times:
 * walkArena (median of 5, page cache warm), a first IndexDb scan that hashes every file,
 * a second scan answered from the index, then writing the same files into other roots:
 * plain writeFile calls (no flush, no check: the floor), PartialFile.commit one by one
 * (fsync per file and per directory), and DurableBatch of BATCH files with syncfs or with
 * parallel fsync.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type FileHash, MerkleHasher } from "../../lib/hash/index.ts";
import { ArenaPath } from "../../lib/model/arena-path.ts";
import { DurableBatch, type FlushMode } from "../../lib/storage/durable-batch.ts";
import { IndexDb } from "../../lib/storage/index-db.ts";
import { PartialFile } from "../../lib/storage/partial-file.ts";
import { RealRoot } from "../../lib/storage/real-root.ts";
import { walkArena } from "../../lib/storage/walk.ts";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "20000" },
    dirs: { type: "string", default: "200" },
    batch: { type: "string", default: "256" },
    dir: { type: "string" },
  },
});
const FILES = Number(values.files);
const DIRS = Number(values.dirs);
const BATCH = Number(values.batch);

const base = values.dir ?? (await mkdtemp(join(tmpdir(), "realize-bench-storage-")));
await mkdir(base, { recursive: true });

interface Source {
  path: ArenaPath;
  data: Uint8Array;
  hash: FileHash;
}

function contentOf(i: number): Uint8Array {
  const data = new Uint8Array((i * 2654435761) % 4097);
  for (let j = 0; j < data.length; j++) data[j] = (i + j * 7) & 0xff;
  return data;
}

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rows: [string, number][] = [];
const note = (what: string, s: number) => {
  rows.push([what, s]);
  console.error(`${what}: ${s.toFixed(3)} s`);
};

try {
  const srcDir = join(base, "src");
  const sources: Source[] = [];
  for (let d = 0; d < DIRS; d++) await mkdir(join(srcDir, `dir ${d}`), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const text = `dir ${i % DIRS}/file-${i}.dat`;
    const data = contentOf(i);
    await writeFile(join(srcDir, text), data);
    sources.push({
      path: ArenaPath.parse(text),
      data,
      hash: new MerkleHasher().update(data).digest(),
    });
  }
  const src = new RealRoot(srcDir);

  const walks: number[] = [];
  let listed = 0;
  for (let run = 0; run < 5; run++) {
    walks.push(await seconds(async () => (listed = (await walkArena(src)).entries.length)));
  }
  note(`walkArena, ${listed} entries (median of 5)`, median(walks));

  await Bun.sleep(2100);
  const index = IndexDb.open(join(base, "state"));
  const { entries } = await walkArena(src);
  const files = entries.filter((e) => e.kind === "file");
  const scan = async (arena: string, inFlight: number, pass: string) => {
    let rehashed = 0;
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const entry = files[next++]!;
        if ((await index.hashIfChanged(arena, src, entry)).rehashed) rehashed++;
      }
    };
    const s = await seconds(() => Promise.all(Array.from({ length: inFlight }, worker)));
    note(`IndexDb.hashIfChanged, ${pass}, ${inFlight} in flight (rehashed ${rehashed})`, s);
  };
  await scan("one", 1, "first scan: hash every file");
  await scan("one", 1, "second scan: unchanged, from the index");
  await scan("eight", 8, "first scan: hash every file");
  await scan("eight", 8, "second scan: unchanged, from the index");
  index.close();

  const meta = { mtimeNs: 1_700_000_000_000_000_001n, mode: 0o644 };
  const receive = async (name: string, flush: FlushMode | "one by one") => {
    const dst = new RealRoot(join(base, name));
    await mkdir(dst.dir);
    if (flush === "one by one") {
      for (const s of sources) {
        const partial = await PartialFile.open(dst, s.path);
        await partial.write(0, s.data);
        await partial.commit(s.hash, meta);
      }
      return;
    }
    const batch = new DurableBatch(dst, { flush });
    for (const s of sources) {
      batch.add({ target: s.path, data: s.data, expected: s.hash, meta });
      if (batch.count >= BATCH) await batch.commit();
    }
    await batch.commit();
  };
  note(
    `reference: writeFile of ${FILES} files, no flush, no verification`,
    await seconds(async () => {
      for (let d = 0; d < DIRS; d++)
        await mkdir(join(base, "plain", `dir ${d}`), { recursive: true });
      for (const s of sources) await writeFile(join(base, "plain", s.path.text), s.data);
    }),
  );
  note(
    `receive ${FILES} files, PartialFile.commit one by one`,
    await seconds(() => receive("one", "one by one")),
  );
  note(
    `receive ${FILES} files, DurableBatch(${BATCH}) syncfs`,
    await seconds(() => receive("syncfs", "syncfs")),
  );
  note(
    `receive ${FILES} files, DurableBatch(${BATCH}) parallel fsync`,
    await seconds(() => receive("fsync", "fsync")),
  );

  console.log(`| storage, ${FILES} files in ${DIRS} directories | seconds |`);
  console.log("|---|---|");
  for (const [what, s] of rows) console.log(`| ${what} | ${s.toFixed(3)} |`);
} finally {
  await rm(base, { recursive: true, force: true });
}
