import type { ErrorCode } from "../model/errors.ts";

/** Exit codes of CLI.md. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  interrupted: 4,
} as const;

/** The one table from error code to exit code (CLI.md "Exit codes"). */
export const EXIT_BY_CODE: Record<ErrorCode, number> = {
  usage: EXIT.usage,
  config: EXIT.usage,
  config_missing: EXIT.usage,
  key_exists: EXIT.usage,
  key_missing: EXIT.usage,
  unknown_peer: EXIT.usage,
  unknown_arena: EXIT.usage,
  bad_path: EXIT.usage,
  io: EXIT.failed,
  disk_full: EXIT.failed,
  not_found: EXIT.failed,
  unreachable: EXIT.failed,
  address_in_use: EXIT.failed,
  already_running: EXIT.failed,
  unknown_key: EXIT.failed,
  key_mismatch: EXIT.failed,
  tls: EXIT.failed,
  version_mismatch: EXIT.failed,
  protocol: EXIT.failed,
  refused: EXIT.failed,
  not_shared: EXIT.failed,
  cancelled: EXIT.interrupted,
  timeout: EXIT.failed,
  hash_mismatch: EXIT.failed,
  changed: EXIT.partial,
  partial_failure: EXIT.partial,
  interrupted: EXIT.interrupted,
  internal: EXIT.failed,
};

/** What the user should do next, per error code, appended to the message when useful. */
export const HINT_BY_CODE: Partial<Record<ErrorCode, string>> = {
  config_missing: "run `realize init --name NAME` first, or pass --config FILE",
  key_missing: "run `realize init --name NAME` to create this peer's key",
  key_exists: "this peer already has an identity; `realize id` prints it",
  unknown_peer: "`realize peer list` shows the peers in the config; `realize peer add` adds one",
  unknown_arena: "`realize arena list` shows the arenas; `realize arena add` adds one",
  unreachable: "check that `realize serve` runs on that peer and that its address is right",
  address_in_use: "another process listens there; change `metrics` or `listen` in the config",
  already_running:
    "`realize status` talks to the running daemon; stop it (SIGTERM) before starting another",
  unknown_key: "add this peer's key on the other side with `realize peer add NAME --pubkey KEY`",
  key_mismatch: "compare the pubkey in the config with what `realize id` prints on that peer",
  version_mismatch: "run the same realize version on both peers",
  disk_full: "free some space, then run the command again; finished files are kept",
  changed: "the file changed while it was synced; run the command again to sync its new version",
};
