import { TransferCommand } from "../lib/cli/transfer-command.ts";

export default class Pull extends TransferCommand {
  static override description =
    "Fetch an arena (or PATHs in it) from a peer: afterwards this peer's arena root holds every file the peer has, byte for byte; files only here are left alone";
  static override usage = "pull ARENA PEER [PATH...]";
  static override examples = [
    "<%= config.bin %> pull photos nas",
    "<%= config.bin %> pull photos nas 2024/summer/beach.jpg",
    "<%= config.bin %> pull photos nas --progress log --max-rate 5MB/s",
  ];
  protected readonly direction = "pull" as const;
}
