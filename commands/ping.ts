import { Args, Flags } from "@oclif/core";
import { RealizeCommand } from "../lib/cli/base-command.ts";
import { EXIT, EXIT_BY_CODE } from "../lib/cli/exit-codes.ts";

export default class Ping extends RealizeCommand {
  static override summary = "Connect to a peer, authenticate both ways and print the round trip";
  static override description =
    `Dials PEER's address from the config with this peer's key. Prints \`PEER ok 1.2 ms (ADDRESS)\`, or exits 1 naming the reason: unreachable, unknown key (PEER does not know this peer's key), key mismatch (another key answered), TLS error, version mismatch. --json prints {"peer","address","ok","rtt_ms"}, or {"peer","ok":false,"error":{"code","message"}} on failure. A PEER not in the config or without an address is exit 2.`;
  static override examples = [
    "<%= config.bin %> ping nas",
    "<%= config.bin %> ping nas --json",
    "<%= config.bin %> ping nas --timeout 3",
  ];
  static override args = {
    peer: Args.string({ description: "a peer of the config that has an address", required: true }),
  };
  static override flags = {
    json: Flags.boolean({ description: "print the outcome as JSON" }),
    timeout: Flags.integer({
      description: "seconds to wait for the connection and the answer",
      default: 10,
      min: 1,
      helpValue: "SECONDS",
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Ping);
    const { loadPeer } = await import("../lib/cli/load.ts");
    const { loadIdentity } = await import("../lib/config/identity.ts");
    const { pingPeer } = await import("../lib/logic/daemon/ping-peer.ts");
    const { isRealizeError, RealizeError } = await import("../lib/model/errors.ts");
    const { paths, config } = await loadPeer(flags.config);
    const identity = await loadIdentity(paths);
    try {
      const result = await pingPeer(config, identity, args.peer, {
        timeoutMs: flags.timeout * 1000,
      });
      const rtt = Math.round(result.rttMs * 1000) / 1000;
      this.log(
        flags.json
          ? JSON.stringify({ peer: result.peer, address: result.address, ok: true, rtt_ms: rtt })
          : `${result.peer} ok ${result.rttMs.toFixed(1)} ms (${result.address})`,
      );
    } catch (error) {
      if (!isRealizeError(error) || EXIT_BY_CODE[error.code] !== EXIT.failed) throw error;
      if (flags.json) {
        const { code, message } = error;
        this.log(JSON.stringify({ peer: args.peer, ok: false, error: { code, message } }));
      }
      const reason = REASONS[error.code] ?? error.code.replace(/_/g, " ");
      this.reportError(
        new RealizeError(error.code, `ping ${args.peer}: ${reason}: ${error.message}`, error.data),
      );
      process.exitCode = EXIT.failed;
    }
  }
}

/** How a failed ping names its reason on stderr. */
const REASONS: Record<string, string> = {
  unreachable: "unreachable",
  unknown_key: "unknown key",
  key_mismatch: "key mismatch",
  tls: "TLS error",
  version_mismatch: "version mismatch",
  timeout: "no answer in time",
};
