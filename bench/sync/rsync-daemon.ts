import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** An rsync daemon on 127.0.0.1 serving one writable module, for the sync benchmark. */
export class RsyncDaemon {
  private constructor(
    private readonly process: Subprocess,
    readonly url: string,
    readonly root: string,
  ) {}

  /**
   * Starts `rsync --daemon` with module `dst` at `root` on a free port; resolves once this
   * daemon (not some other one left on a port) accepts connections.
   */
  static async start(work: string, root: string): Promise<RsyncDaemon> {
    const port = freePort();
    mkdirSync(root, { recursive: true });
    const conf = join(work, "rsyncd.conf");
    writeFileSync(
      conf,
      [
        `port = ${port}`,
        "address = 127.0.0.1",
        `pid file = ${join(work, "rsyncd.pid")}`,
        "use chroot = no",
        "[dst]",
        `path = ${root}`,
        "read only = no",
        "uid = root",
        "gid = root",
        "",
      ].join("\n"),
    );
    const proc = Bun.spawn(["rsync", "--daemon", "--no-detach", `--config=${conf}`], {
      stdout: "ignore",
      stderr: "inherit",
    });
    const url = `rsync://127.0.0.1:${port}/dst/`;
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null)
        throw new Error(`rsync daemon exited ${proc.exitCode} on port ${port}`);
      const probe = Bun.spawnSync(["rsync", url], { stdout: "ignore", stderr: "ignore" });
      if (probe.exitCode === 0) return new RsyncDaemon(proc, url, root);
      await Bun.sleep(50);
    }
    proc.kill();
    throw new Error("rsync daemon did not start");
  }

  /**
   * Pushes `src/` to the module (or to directory `sub` in it, e.g. `first/`); returns
   * seconds and rsync's own byte counts. rsync leaves what it wrote in the page cache; the
   * filesystem is then flushed (`sync -f`, timed apart as `flushSeconds`) so that this
   * writeback does not land in whatever is measured next.
   */
  push(
    src: string,
    sub = "",
  ): { seconds: number; flushSeconds: number; bytesSent: number; literal: number } {
    const t0 = performance.now();
    const p = Bun.spawnSync(["rsync", "-a", "--stats", `${src}/`, `${this.url}${sub}`], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const seconds = (performance.now() - t0) / 1000;
    if (p.exitCode !== 0) throw new Error(`rsync failed: ${p.stderr.toString()}`);
    const t1 = performance.now();
    Bun.spawnSync(["sync", "-f", this.root]);
    const flushSeconds = (performance.now() - t1) / 1000;
    const out = p.stdout.toString();
    const num = (label: string) =>
      Number((out.match(new RegExp(`${label}: ([\\d,]+)`))?.[1] ?? "0").replaceAll(",", ""));
    return {
      seconds,
      flushSeconds,
      bytesSent: num("Total bytes sent"),
      literal: num("Literal data"),
    };
  }

  /** Stops the daemon and waits until it is gone. */
  async stop(): Promise<void> {
    this.process.kill();
    await this.process.exited;
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}
