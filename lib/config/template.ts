import { stringify } from "smol-toml";

/** What `realize init` fills into the config it writes. */
export interface TemplateValues {
  name: string;
  /** `HOST:PORT` as the user gave it, already checked. */
  listen: string;
}

const quote = (value: string) => stringify({ v: value }).slice(4).trim();

/**
 * The commented config that `realize init` writes: the [peer] table filled in, and every
 * other key of CLI.md explained with a commented example, so that the file documents itself.
 * The text is a valid config as it is (loadConfig accepts it).
 */
export function configTemplate(values: TemplateValues): string {
  return `# realize config: this peer, the household (the other peers) and the arenas (shared trees).
# Edit by hand or with \`realize peer add|remove\` and \`realize arena add|remove\`, which keep
# your comments. After a change, restart \`realize serve\` or send it SIGHUP.
# Sizes: a number of bytes or a string with a unit: B, KB, MB, GB, TB (powers of 1000),
# KiB, MiB, GiB, TiB (powers of 1024), like "10GiB" or "1.5GB"; rates may end in "/s".

[peer]
# This peer's name: 1 to 64 characters of a-z, 0-9, _ and -.
name = ${quote(values.name)}
# Where \`realize serve\` accepts other peers: HOST:PORT, or [IPV6]:PORT.
listen = ${quote(values.listen)}
# Optional: serve Prometheus metrics at http://ADDRESS/metrics.
# metrics = "127.0.0.1:9744"

# Each other peer of the household is a [peers.NAME] table. \`realize id\` on that peer
# prints its key; \`realize peer add NAME --pubkey KEY\` writes such a table.
#
# [peers.nas]
# address = "nas.local:7744"   # optional: omit for a peer that only dials in
# pubkey = "ed25519:…"         # required: exactly what \`realize id\` prints on that peer
# max_rate = "20MB/s"          # optional: cap on bytes per second sent to this peer

# Each shared tree is an [arenas.NAME] table; \`realize arena add NAME --root DIR\` writes one.
#
# [arenas.photos]
# root = "/home/me/Photos"     # optional: absolute (or ~/...); omit for a cache-only arena
# mode = "mirror"              # "mirror" (default with a root): every file becomes real here
#                              # "partial" (default without a root): files stay unreal until
#                              # \`realize get\`
# cache_max = "10GiB"          # cap on the blob cache for unreal files (default "1GiB")
`;
}
