import { Args, Flags } from "@oclif/core";
import { RealizeCommand } from "../../lib/cli/base-command.ts";

export default class PeerAdd extends RealizeCommand {
  static override description =
    "Add a peer to the household: writes a [peers.NAME] table to the config, keeping your comments";
  static override examples = [
    "<%= config.bin %> peer add nas --pubkey ed25519:… --address nas.local:7744",
    "<%= config.bin %> peer add phone --pubkey ed25519:…   # a peer that only dials in",
    "<%= config.bin %> peer add backup --pubkey ed25519:… --address [fd00::2]:7744 --max-rate 5MB/s",
  ];
  static override args = {
    name: Args.string({
      description: "the peer's name: 1-64 characters of a-z, 0-9, _ and -",
      required: true,
    }),
  };
  static override flags = {
    pubkey: Flags.string({
      description: "the key that `realize id` prints on that peer",
      required: true,
      helpValue: "ed25519:KEY",
    }),
    address: Flags.string({
      description: "where to reach the peer; omit for a peer that only dials in",
      helpValue: "HOST:PORT",
    }),
    "max-rate": Flags.string({
      description: "cap on bytes per second sent to this peer, like 20MB/s",
      helpValue: "RATE",
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PeerAdd);
    const { peerPathsFor } = await import("../../lib/cli/load.ts");
    const { addPeer } = await import("../../lib/config/household.ts");
    const paths = await peerPathsFor(flags.config);
    await addPeer(paths, {
      name: args.name,
      pubkey: flags.pubkey,
      address: flags.address,
      maxRate: flags["max-rate"],
    });
    this.log(
      `added peer ${args.name} to ${paths.config}; a running \`${this.config.bin} serve\` picks it up on SIGHUP or restart`,
    );
  }
}
