import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The benchmarks' tree of small files: `files` files of 4 KiB spread evenly over 200
 * directories `d0`…`d199` under `dir`, each with its own content (its number, then a fill).
 */
export function smallTree(dir: string, files: number): void {
  const perDir = Math.ceil(files / 200);
  for (let d = 0; d < 200; d++) mkdirSync(join(dir, `d${d}`), { recursive: true });
  for (let i = 0; i < files; i++) {
    const data = new Uint8Array(4096);
    new DataView(data.buffer).setUint32(0, i);
    data.fill(i % 251, 4);
    writeFileSync(join(dir, `d${Math.floor(i / perDir)}`, `f${i}.bin`), data);
  }
}
