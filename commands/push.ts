import { TransferCommand } from "../lib/cli/transfer-command.ts";

export default class Push extends TransferCommand {
  static override description =
    "Send an arena (or PATHs in it) to a peer: afterwards the peer holds every file of this peer's arena root, byte for byte; files only on the peer are left alone";
  static override usage = "push ARENA PEER [PATH...]";
  static override examples = [
    "<%= config.bin %> push photos nas",
    "<%= config.bin %> push photos nas 2024/summer --dry-run",
    "<%= config.bin %> push photos nas --progress none --json   # from cron",
    "<%= config.bin %> push inbox nas --move --max-duration 1h",
  ];
  protected readonly direction = "push" as const;
}
