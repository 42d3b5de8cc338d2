import { Flags } from "@oclif/core";
import { RealizeCommand } from "../lib/cli/base-command.ts";

export default class Init extends RealizeCommand {
  static override description =
    "Create this peer's key pair and a commented config; prints the public key to give to other peers";
  static override examples = [
    "<%= config.bin %> init --name laptop",
    "<%= config.bin %> init --name nas --listen 0.0.0.0:7744",
    "REALIZE_HOME=/srv/realize <%= config.bin %> init --name backup",
  ];
  static override flags = {
    name: Flags.string({
      description: "this peer's name: 1-64 characters of a-z, 0-9, _ and -",
      required: true,
      helpValue: "NAME",
    }),
    listen: Flags.string({
      description: "where `realize serve` accepts peers",
      default: "0.0.0.0:7744",
      helpValue: "HOST:PORT",
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    const { peerPathsFor } = await import("../lib/cli/load.ts");
    const { initPeer } = await import("../lib/config/init-peer.ts");
    const paths = await peerPathsFor(flags.config);
    const result = await initPeer(paths, { name: flags.name, listen: flags.listen });
    const { bin } = this.config;
    const { name } = flags;
    const key = result.identity.pubkey;
    const configLine = result.configWritten
      ? `wrote the config ${result.config}`
      : `kept the existing config ${result.config}`;
    this.log(`${name} ${key}

Created the key ${result.identity.file} (private: it never leaves this peer); ${configLine}.
Next steps:
  1. on each other peer, add this one:  ${bin} peer add ${name} --pubkey ${key} --address HOST:PORT
  2. here, add each other peer:         ${bin} peer add NAME --pubkey KEY [--address HOST:PORT]
  3. share a directory:                 ${bin} arena add NAME --root DIR
  4. start the daemon:                  ${bin} serve`);
  }
}
