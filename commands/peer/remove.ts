import { Args } from "@oclif/core";
import { RealizeCommand } from "../../lib/cli/base-command.ts";

export default class PeerRemove extends RealizeCommand {
  static override description =
    "Remove a peer from the household: deletes its [peers.NAME] table from the config";
  static override examples = ["<%= config.bin %> peer remove nas"];
  static override args = {
    name: Args.string({ description: "the peer's name", required: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PeerRemove);
    const { peerPathsFor } = await import("../../lib/cli/load.ts");
    const { removePeer } = await import("../../lib/config/household.ts");
    const paths = await peerPathsFor(flags.config);
    await removePeer(paths, args.name);
    this.log(`removed peer ${args.name} from ${paths.config}`);
  }
}
