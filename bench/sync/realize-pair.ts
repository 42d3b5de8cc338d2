import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "./rsync-daemon.ts";

/**
 * Two realize peers on loopback for the benchmark: "src" holds the arenas' data, "dst"
 * runs `realize serve` with empty roots. `push(arena)` runs `realize push` from src.
 */
export class RealizePair {
  private constructor(
    private readonly bin: string,
    private readonly homes: { src: string; dst: string },
    private readonly serve: Subprocess,
  ) {}

  static async start(
    repo: string,
    work: string,
    arenas: Record<string, string>,
  ): Promise<RealizePair> {
    const bin = join(repo, "bin", "realize");
    const homes = { src: join(work, "src-home"), dst: join(work, "dst-home") };
    const port = freePort();
    const sourcePort = freePort();
    const run = (home: string, args: string[]) => {
      const p = Bun.spawnSync([bin, ...args], {
        env: { ...process.env, REALIZE_HOME: home },
        stderr: "pipe",
      });
      if (p.exitCode !== 0) throw new Error(`realize ${args.join(" ")}: ${p.stderr.toString()}`);
      return p.stdout.toString();
    };
    run(homes.src, ["init", "--name", "src", "--listen", `127.0.0.1:${sourcePort}`]);
    run(homes.dst, ["init", "--name", "dst", "--listen", `127.0.0.1:${port}`]);
    const key = (home: string) => JSON.parse(run(home, ["id", "--json"])).pubkey as string;
    run(homes.src, [
      "peer",
      "add",
      "dst",
      "--pubkey",
      key(homes.dst),
      "--address",
      `127.0.0.1:${port}`,
    ]);
    run(homes.dst, ["peer", "add", "src", "--pubkey", key(homes.src)]);
    for (const [name, root] of Object.entries(arenas)) {
      const dstRoot = join(work, "dst", name);
      mkdirSync(dstRoot, { recursive: true });
      run(homes.src, ["arena", "add", name, "--root", root]);
      run(homes.dst, ["arena", "add", name, "--root", dstRoot]);
    }
    const serve = Bun.spawn([bin, "serve"], {
      env: { ...process.env, REALIZE_HOME: homes.dst },
      stdout: "ignore",
      stderr: "ignore",
    });
    const pair = new RealizePair(bin, homes, serve);
    for (let i = 0; i < 100; i++) {
      const p = Bun.spawnSync([bin, "ping", "dst"], {
        env: { ...process.env, REALIZE_HOME: homes.src },
      });
      if (p.exitCode === 0) return pair;
      await Bun.sleep(100);
    }
    await pair.stop();
    throw new Error("realize serve did not answer ping");
  }

  push(arena: string): { seconds: number; sent: number; wire: number } {
    const t0 = performance.now();
    const p = Bun.spawnSync([this.bin, "push", arena, "dst", "--json", "--progress", "none"], {
      env: { ...process.env, REALIZE_HOME: this.homes.src },
      stderr: "pipe",
    });
    const seconds = (performance.now() - t0) / 1000;
    if (p.exitCode !== 0)
      throw new Error(`realize push ${arena} exited ${p.exitCode}: ${p.stderr.toString()}`);
    if (process.env.REALIZE_TIMING) process.stderr.write(p.stderr.toString());
    const summary = JSON.parse(p.stdout.toString());
    return { seconds, sent: summary.bytes.sent, wire: summary.bytes.wire };
  }

  /** Stops the serving peer and waits until it is gone (so its files can be removed). */
  async stop(): Promise<void> {
    this.serve.kill("SIGTERM");
    await this.serve.exited;
  }
}
