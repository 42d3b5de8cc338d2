import { Flags } from "@oclif/core";
import { RealizeCommand } from "../lib/cli/base-command.ts";

export default class Id extends RealizeCommand {
  static override description =
    "Print this peer's name and public key, as other peers need it for `realize peer add`";
  static override examples = ["<%= config.bin %> id", "<%= config.bin %> id --json"];
  static override flags = {
    json: Flags.boolean({ description: 'print {"name","pubkey"} as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Id);
    const { loadPeer } = await import("../lib/cli/load.ts");
    const { loadIdentity } = await import("../lib/config/identity.ts");
    const { paths, config } = await loadPeer(flags.config);
    const identity = await loadIdentity(paths);
    this.log(
      flags.json
        ? JSON.stringify({ name: config.peer.name, pubkey: identity.pubkey })
        : `${config.peer.name} ${identity.pubkey}`,
    );
  }
}
