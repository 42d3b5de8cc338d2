/**
 * A child process for the crash tests of PartialFile: it writes versions of one file of an
 * arena root and is killed with SIGKILL by the test at some instant.
 *
 *   bun test-crash-writer.ts ROOT PATH SIZE hold     write version 1 into the partial, sync,
 *                                                  print "written", then wait to be killed
 *   bun test-crash-writer.ts ROOT PATH SIZE loop     commit versions 1, 2, 3… forever, printing
 *                                                  each number once it is committed
 *   bun test-crash-writer.ts ROOT DIR SIZE batch     the same for DIR/0 … DIR/19, committed
 *                                                  together by a DurableBatch each round
 *
 * Version N is SIZE bytes all equal to N % 251 + 1, so a reader can tell a whole version
 * from a mix of two.
 */

import { MerkleHasher } from "../hash/index.ts";
import { ArenaPath } from "../model/arena-path.ts";
import { DurableBatch } from "./durable-batch.ts";
import { PartialFile } from "./partial-file.ts";
import { RealRoot } from "./real-root.ts";

/** The content of version `n` of a file of `size` bytes. */
export function versionBytes(n: number, size: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(size).fill((n % 251) + 1);
}

async function writeVersion(root: RealRoot, path: ArenaPath, n: number, size: number) {
  const data = versionBytes(n, size);
  const partial = await PartialFile.open(root, path);
  const chunk = 64 * 1024;
  for (let at = 0; at < size; at += chunk) {
    await partial.write(at, data.subarray(at, Math.min(size, at + chunk)));
  }
  await partial.truncate(size);
  return { partial, expected: new MerkleHasher().update(data).digest() };
}

async function main(): Promise<void> {
  const [rootDir, pathText, sizeText, mode] = process.argv.slice(2);
  const root = new RealRoot(rootDir!);
  const path = ArenaPath.parse(pathText!);
  const size = Number(sizeText);
  if (mode === "hold") {
    const { partial } = await writeVersion(root, path, 1, size);
    await partial.sync();
    process.stdout.write("written\n");
    await new Promise(() => undefined);
  }
  if (mode === "batch") {
    const batch = new DurableBatch(root);
    for (let n = 1; ; n++) {
      for (let i = 0; i < 20; i++) {
        const data = versionBytes(n + i, size);
        const expected = new MerkleHasher().update(data).digest();
        const meta = { mtimeNs: BigInt(n), mode: 0o644 };
        batch.add({ target: path.join(String(i)), data, expected, meta });
      }
      const failed = (await batch.commit()).filter((r) => r.error !== undefined);
      if (failed.length > 0) throw failed[0]!.error;
      process.stdout.write(`${n}\n`);
    }
  }
  for (let n = 1; ; n++) {
    const { partial, expected } = await writeVersion(root, path, n, size);
    await partial.commit(expected, { mtimeNs: BigInt(n) * 1_000_000_007n, mode: 0o644 });
    process.stdout.write(`${n}\n`);
  }
}

if (import.meta.main) await main();
