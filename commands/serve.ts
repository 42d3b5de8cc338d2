import { Flags } from "@oclif/core";
import { RealizeCommand } from "../lib/cli/base-command.ts";

export default class Serve extends RealizeCommand {
  static override summary = "Run the daemon in the foreground";
  static override description =
    `Accepts peers on \`listen\`, keeps a connection to every peer that has an address (redialling with backoff when it drops), serves the local control socket (STATE/control.sock) and, with \`metrics\` set, Prometheus text at http://ADDRESS/metrics. Logs go to stderr. SIGINT or SIGTERM closes every connection and exits 0; SIGHUP reloads the config (a bad one is logged and the running one kept). Refuses (exit 1) when another \`realize serve\` runs for the same REALIZE_HOME.`;
  static override examples = [
    "<%= config.bin %> serve",
    "REALIZE_HOME=/srv/realize <%= config.bin %> serve --verbose",
    "kill -HUP $(pgrep -f 'realize serve')   # reload the config",
  ];
  static override flags = {
    verbose: Flags.boolean({ description: "log debug events too (redials, handshakes)" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    const { loadPeer } = await import("../lib/cli/load.ts");
    const { loadIdentity } = await import("../lib/config/identity.ts");
    const { stderrLogger } = await import("../lib/model/logger.ts");
    const { runDaemon } = await import("../lib/logic/daemon/run-daemon.ts");
    const { paths, config } = await loadPeer(flags.config);
    const identity = await loadIdentity(paths);
    const logger = stderrLogger(flags.verbose ? "debug" : "info");
    await runDaemon({ paths, config, identity, logger });
  }
}
