import { Args, Flags } from "@oclif/core";
import { RealizeCommand } from "../../lib/cli/base-command.ts";

export default class ArenaAdd extends RealizeCommand {
  static override summary = "Add an arena: a directory tree this peer shares";
  static override description =
    "Writes an [arenas.NAME] table to the config, keeping your comments. The root must be an existing directory; a relative DIR is taken from the current directory and written as an absolute path. Without --mode, an arena with a root is a mirror and one without is partial (cache-only)";
  static override examples = [
    "<%= config.bin %> arena add photos --root ~/Photos",
    "<%= config.bin %> arena add music --root /srv/music --mode partial --cache-max 20GiB",
    "<%= config.bin %> arena add archive --cache-max 5GiB   # cache-only: every file unreal",
  ];
  static override args = {
    name: Args.string({
      description: "the arena's name: 1-64 characters of a-z, 0-9, _ and -",
      required: true,
    }),
  };
  static override flags = {
    root: Flags.string({
      description: "the local directory of this arena; omit for a cache-only arena",
      helpValue: "DIR",
    }),
    mode: Flags.string({
      description:
        "mirror: every file becomes real here; partial: files stay unreal until `realize get`",
      options: ["mirror", "partial"],
    }),
    "cache-max": Flags.string({
      description: "cap on the blob cache for unreal files, like 10GiB (default 1GiB)",
      helpValue: "SIZE",
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ArenaAdd);
    const { peerPathsFor } = await import("../../lib/cli/load.ts");
    const { addArena } = await import("../../lib/config/arenas.ts");
    const paths = await peerPathsFor(flags.config);
    const arena = await addArena(paths, {
      name: args.name,
      root: flags.root,
      mode: flags.mode,
      cacheMax: flags["cache-max"],
    });
    const where = arena.root ? `root ${arena.root}` : "no root (cache-only)";
    this.log(
      `added arena ${arena.name} (${arena.mode}, ${where}) to ${paths.config}; a running \`${this.config.bin} serve\` picks it up on SIGHUP or restart`,
    );
  }
}
