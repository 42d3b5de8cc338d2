import { describe, expect, test } from "bun:test";
import { noise } from "../../../fixtures/noise.ts";
import { ArenaPath } from "../../model/arena-path.ts";
import { MemoryTree } from "./memory-tree.ts";
import { MiB, sampleTree, shape, transfer } from "./test-trees.ts";

const contentBytes = (tree: MemoryTree) =>
  tree.snapshot().reduce((sum, e) => sum + (e.kind === "file" ? e.size : 0), 0);

describe("runTransfer over two memory trees", () => {
  test("a push copies directories, symlinks, small and large files with mtime and mode; a second run sends nothing", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    const first = await transfer(src, dst);
    expect(first.failed).toEqual([]);
    expect(shape(dst)).toEqual(shape(src));
    expect(first.files).toEqual({ total: 8, sent: 8, unchanged: 0, failed: 0 });
    expect(first.bytes.sent).toBe(contentBytes(src));
    expect(first.interrupted).toBe(false);
    expect(dst.openFiles).toBe(0);
    expect(dst.partials.size).toBe(0);

    const before = { ...dst.stats };
    const second = await transfer(src, dst);
    expect(second.files).toEqual({ total: 8, sent: 0, unchanged: 8, failed: 0 });
    expect(second.bytes.sent).toBe(0);
    expect(dst.stats).toEqual(before);
  });

  test("large files the destination lacks are streamed whole: no leaves and no hashes asked for", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    const asked = { leaves: 0, hashes: 0, streams: 0 };
    const { leaves, hashes, stream } = src;
    src.leaves = (...a) => {
      asked.leaves++;
      return leaves.apply(src, a);
    };
    src.hashes = (...a) => {
      asked.hashes++;
      return hashes.apply(src, a);
    };
    src.stream = (...a) => {
      asked.streams++;
      return stream.apply(src, a);
    };
    const summary = await transfer(src, dst);
    expect(summary.failed).toEqual([]);
    expect(shape(dst)).toEqual(shape(src));
    expect(asked).toEqual({ leaves: 0, hashes: 0, streams: 2 });
  });

  test("a file listed without a hash beside a same-size file is hashed to decide: same content is left, other content sent", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    await transfer(src, dst);
    const a = src.content("docs/a.txt")!;
    src.setFile("docs/a.txt", a, { mtimeNs: 5n });
    const huge = Uint8Array.from(src.content("media/huge.bin")!);
    huge[0] = (huge[0]! + 1) % 256;
    src.setFile("media/huge.bin", huge, { mtimeNs: 6n });
    let hashed = 0;
    const { hashes } = src;
    src.hashes = (paths) => {
      hashed += paths.length;
      return hashes.call(src, paths);
    };
    const summary = await transfer(src, dst);
    expect(summary.failed).toEqual([]);
    expect(shape(dst)).toEqual(shape(src));
    expect(summary.files.sent).toBe(1);
    expect(summary.bytes.sent).toBe(2048);
    expect(hashed).toBe(6);
  });

  test("only mtime or mode changed: metadata is set, no content is sent", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    await transfer(src, dst);
    src.setFile("media/big.bin", src.content("media/big.bin")!, { mtimeNs: 77n, mode: 0o700 });
    const before = { ...dst.stats };
    const summary = await transfer(src, dst);
    expect(summary.bytes.sent).toBe(0);
    expect(dst.stats).toEqual(before);
    expect(shape(dst)).toEqual(shape(src));
  });

  test("an in-place edit of a large file sends only the changed block of the changed leaf", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    await transfer(src, dst);
    const edited = Uint8Array.from(src.content("media/huge.bin")!);
    edited.set(noise(10, 9), MiB + 5);
    src.setFile("media/huge.bin", edited, { mtimeNs: 99n });
    const literal = dst.stats.literal;
    const summary = await transfer(src, dst);
    expect(summary.files.sent).toBe(1);
    expect(summary.bytes.sent).toBe(2048);
    expect(dst.stats.literal - literal).toBe(2048);
    expect(shape(dst)).toEqual(shape(src));
  });

  test("edits in several leaves, one past the base's end, go as one delta over those leaves", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    await transfer(src, dst);
    const old = src.content("media/huge.bin")!;
    const grown = new Uint8Array(old.length + 3000);
    grown.set(old);
    grown.set(noise(100, 12), 100);
    grown.set(noise(5000, 13), 2 * MiB - 2500);
    grown.set(noise(3000, 14), old.length);
    src.setFile("media/huge.bin", grown, { mtimeNs: 98n });
    const summary = await transfer(src, dst);
    expect(summary.failed).toEqual([]);
    expect(summary.bytes.sent).toBeGreaterThanOrEqual(100 + 5000 + 3000);
    expect(summary.bytes.sent).toBeLessThan(100 + 5000 + 3000 + 6 * 2048);
    expect(shape(dst)).toEqual(shape(src));
  });

  test("an insertion at the start of a 4 MiB file is sent as a delta with few literal bytes", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    await transfer(src, dst);
    const old = src.content("media/huge.bin")!;
    const shifted = new Uint8Array(old.length + 100);
    shifted.set(noise(100, 11));
    shifted.set(old, 100);
    src.setFile("media/huge.bin", shifted, { mtimeNs: 100n });
    const written = dst.stats.written;
    const summary = await transfer(src, dst);
    expect(summary.failed).toEqual([]);
    expect(dst.stats.written).toBe(written);
    expect(dst.stats.literal).toBeGreaterThanOrEqual(100);
    expect(dst.stats.literal).toBeLessThan(16 * 1024);
    expect(summary.bytes.sent).toBe(dst.stats.literal);
    expect(shape(dst)).toEqual(shape(src));
  });

  test("--move deletes verified files and symlinks, then empty directories; refused files stay", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    dst.setDir("run.sh");
    const summary = await transfer(src, dst, { move: true });
    expect(summary.failed.map((f) => f.path)).toEqual(["run.sh"]);
    expect(summary.files.sent).toBe(7);
    expect(src.snapshot().map((e) => e.path.text)).toEqual(["run.sh"]);
    expect(dst.content("media/huge.bin")).toEqual(noise(4 * MiB, 3));
  });

  test("--move keeps a source file that changed after it was listed", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    let edits = 0;
    dst.afterWrite = (path) => {
      if (path === "media/big.bin" && edits++ === 0) src.setFile("docs/a.txt", Uint8Array.of(1));
    };
    const summary = await transfer(src, dst, { move: true });
    expect(summary.failed.map((f) => f.path)).toEqual(["docs/a.txt"]);
    expect(summary.failed[0]!.error).toContain("copied but not removed");
    expect(src.content("docs/a.txt")).toEqual(Uint8Array.of(1));
    expect(src.snapshot().map((e) => e.path.text)).toEqual(["docs", "docs/a.txt"]);
  });

  test("a source file that changes between listing and sending is sent again and ends up right", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    let listed = 0;
    src.afterList = () => {
      if (listed++ > 0) return;
      src.setFile("media/big.bin", noise(2 * MiB + 7, 21), { mtimeNs: 8n });
      src.setFile("docs/a.txt", new TextEncoder().encode("changed"), { mtimeNs: 9n });
      src.setFile("run.sh", noise(300 * 1024, 22), { mtimeNs: 10n });
    };
    const summary = await transfer(src, dst);
    expect(summary.failed).toEqual([]);
    expect(summary.files).toEqual({ total: 8, sent: 8, unchanged: 0, failed: 0 });
    expect(shape(dst)).toEqual(shape(src));
    expect(dst.partials.size).toBe(0);
  });

  test("a file that keeps changing is reported by name, not written", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    let n = 0;
    src.afterList = () => src.setFile("media/big.bin", noise(MiB, 100 + 2 * n++));
    const summary = await transfer(src, dst);
    expect(summary.failed.map((f) => f.path)).toEqual(["media/big.bin"]);
    expect(dst.content("media/big.bin")).toBeUndefined();
    expect(summary.files.sent).toBe(7);
  });

  test("a dry run changes nothing and counts what would be sent", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    dst.setFile("docs/a.txt", Uint8Array.of(1, 2));
    const before = shape(dst);
    const summary = await transfer(src, dst, { dryRun: true });
    expect(summary.dryRun).toBe(true);
    expect(summary.files.sent).toBe(8);
    expect(summary.bytes.sent).toBe(0);
    expect(shape(dst)).toEqual(before);
    expect(dst.stats).toEqual({ written: 0, small: 0, literal: 0, committed: 0 });
  });

  test("a directory that is a symlink at the destination refuses each file below it by name", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    dst.setDir("elsewhere");
    dst.setLink("docs", "elsewhere");
    const summary = await transfer(src, dst);
    const failed = summary.failed.map((f) => f.path);
    expect(failed).toEqual(["docs", "docs/a.txt", "docs/dangling", "docs/deep", "docs/deep/b.bin"]);
    for (const f of summary.failed) expect(f.error).toContain("symlink");
    expect(dst.nodes.get("docs")?.kind).toBe("symlink");
    expect(dst.snapshot().filter((e) => e.path.text.startsWith("elsewhere/"))).toEqual([]);
    expect(dst.content("media/huge.bin")).toEqual(noise(4 * MiB, 3));
  });

  test("a scope transfers only the paths under it", async () => {
    const src = sampleTree();
    const dst = new MemoryTree();
    const summary = await transfer(src, dst, { scope: [ArenaPath.parse("docs/deep")] });
    expect(summary.files.sent).toBe(1);
    expect(dst.snapshot().map((e) => e.path.text)).toEqual([
      "docs",
      "docs/deep",
      "docs/deep/b.bin",
    ]);
  });

  test("a stop signal ends the job as interrupted, keeps the partial, and a second run completes it", async () => {
    const src = new MemoryTree();
    src.setFile("movie.bin", noise(4 * MiB, 5));
    const dst = new MemoryTree();
    const stop = new AbortController();
    dst.afterWrite = () => stop.abort();
    const first = await transfer(src, dst, { stop: stop.signal });
    expect(first.interrupted).toBe(true);
    expect(dst.content("movie.bin")).toBeUndefined();
    const partial = dst.partials.get("movie.bin");
    expect(partial?.have.totalLength).toBeGreaterThan(0);
    expect(dst.openFiles).toBe(0);

    dst.afterWrite = undefined;
    const kept = partial!.have.totalLength;
    const second = await transfer(src, dst);
    expect(second.interrupted).toBe(false);
    expect(second.failed).toEqual([]);
    expect(second.bytes.sent).toBe(4 * MiB - kept);
    expect(dst.content("movie.bin")).toEqual(src.content("movie.bin"));
    expect(dst.partials.size).toBe(0);
  });
});
