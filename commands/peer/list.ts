import { Flags } from "@oclif/core";
import { RealizeCommand } from "../../lib/cli/base-command.ts";

export default class PeerList extends RealizeCommand {
  static override summary = "List the household (the other peers)";
  static override description =
    '--json prints [{"name","address","pubkey","max_rate"}]: address is "host:port" or null, max_rate is bytes per second or null';
  static override examples = ["<%= config.bin %> peer list", "<%= config.bin %> peer list --json"];
  static override flags = {
    json: Flags.boolean({ description: "print the list as JSON" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(PeerList);
    const { loadPeer } = await import("../../lib/cli/load.ts");
    const { peerList } = await import("../../lib/config/household.ts");
    const { renderTable } = await import("../../lib/cli/table.ts");
    const { formatSize } = await import("../../lib/config/size.ts");
    const { config } = await loadPeer(flags.config);
    const peers = peerList(config);
    if (flags.json) {
      this.log(JSON.stringify(peers));
      return;
    }
    if (peers.length === 0) {
      process.stderr.write(
        `no peers in ${config.file}; add one with \`${this.config.bin} peer add\`\n`,
      );
      return;
    }
    const rows = peers.map((p) => [
      p.name,
      p.address ?? "(dials in)",
      p.max_rate === null ? "-" : `${formatSize(p.max_rate)}/s`,
      p.pubkey,
    ]);
    this.log(renderTable(["NAME", "ADDRESS", "MAX_RATE", "PUBKEY"], rows));
  }
}
