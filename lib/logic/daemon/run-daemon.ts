import { Daemon, type DaemonOptions } from "./daemon.ts";

/**
 * Runs a daemon in the foreground until SIGINT or SIGTERM, then stops it cleanly and
 * resolves (the command exits 0). SIGHUP reloads the config; a bad one is logged and the
 * running one kept. A second SIGINT/SIGTERM while stopping is left to its default action,
 * so an impatient user can still end the process at once.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const daemon = await Daemon.start(options);
  await new Promise<void>((resolve) => {
    const reload = () => void daemon.reload();
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      process.off("SIGHUP", reload);
      options.logger.log("info", "stopping", { signal });
      void daemon.stop().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    process.on("SIGHUP", reload);
  });
}
