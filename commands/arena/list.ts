import { Flags } from "@oclif/core";
import { RealizeCommand } from "../../lib/cli/base-command.ts";

export default class ArenaList extends RealizeCommand {
  static override summary = "List the arenas";
  static override description =
    '--json prints [{"name","root","mode","cache_max"}]: root is an absolute path or null (cache-only), cache_max is in bytes. Roots that are missing are reported on stderr';
  static override examples = [
    "<%= config.bin %> arena list",
    "<%= config.bin %> arena list --json",
  ];
  static override flags = {
    json: Flags.boolean({ description: "print the list as JSON" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ArenaList);
    const { loadPeer } = await import("../../lib/cli/load.ts");
    const { arenaList, missingRoots } = await import("../../lib/config/arenas.ts");
    const { renderTable } = await import("../../lib/cli/table.ts");
    const { formatSize } = await import("../../lib/config/size.ts");
    const { config } = await loadPeer(flags.config);
    const arenas = arenaList(config);
    for (const missing of await missingRoots(config)) {
      process.stderr.write(`realize: warning: arena ${missing.arena}: ${missing.reason}\n`);
    }
    if (flags.json) {
      this.log(JSON.stringify(arenas));
      return;
    }
    if (arenas.length === 0) {
      process.stderr.write(
        `no arenas in ${config.file}; add one with \`${this.config.bin} arena add\`\n`,
      );
      return;
    }
    const rows = arenas.map((a) => [
      a.name,
      a.mode,
      formatSize(a.cache_max),
      a.root ?? "(cache-only)",
    ]);
    this.log(renderTable(["NAME", "MODE", "CACHE_MAX", "ROOT"], rows));
  }
}
