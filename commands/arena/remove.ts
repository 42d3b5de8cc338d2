import { Args } from "@oclif/core";
import { RealizeCommand } from "../../lib/cli/base-command.ts";

export default class ArenaRemove extends RealizeCommand {
  static override description =
    "Remove an arena from the config. Files in its root are left as they are";
  static override examples = ["<%= config.bin %> arena remove photos"];
  static override args = {
    name: Args.string({ description: "the arena's name", required: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ArenaRemove);
    const { peerPathsFor } = await import("../../lib/cli/load.ts");
    const { removeArena } = await import("../../lib/config/arenas.ts");
    const paths = await peerPathsFor(flags.config);
    const arena = await removeArena(paths, args.name);
    const kept = arena.root ? `; the files in ${arena.root} are untouched` : "";
    this.log(`removed arena ${arena.name} from ${paths.config}${kept}`);
  }
}
