import { Args, Flags } from "@oclif/core";
import { RealizeCommand } from "../lib/cli/base-command.ts";

export default class Status extends RealizeCommand {
  static override description =
    "Show arenas (root, mode, real and unreal files, conflicts, cache), peers (connected, last seen) and background jobs; works with or without a running daemon";
  static override examples = [
    "<%= config.bin %> status",
    "<%= config.bin %> status photos",
    "<%= config.bin %> status --json",
  ];
  static override args = {
    arena: Args.string({ description: "show only this arena (and its jobs)" }),
  };
  static override flags = {
    json: Flags.boolean({ description: "print one JSON document on stdout" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Status);
    const { loadPeer } = await import("../lib/cli/load.ts");
    const { peerStatus } = await import("../lib/logic/status.ts");
    const { paths, config } = await loadPeer(flags.config);
    const report = await peerStatus(paths, config, args.arena);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    const { statusText } = await import("../lib/cli/status-text.ts");
    this.log(statusText(report));
  }
}
