import type { PeerStatusReport } from "../logic/status.ts";
import { formatBytes, formatDuration } from "../ui/format.ts";
import { renderTable } from "./table.ts";

/** `realize status` as plain text: the daemon, then arenas, peers and jobs as tables. */
export function statusText(s: PeerStatusReport): string {
  const out: string[] = [];
  out.push(
    s.daemon.running
      ? `peer ${s.peer}: realize serve runs (pid ${s.daemon.pid}, listening on ${s.daemon.listen}, since ${s.daemon.started})`
      : `peer ${s.peer}: no realize serve runs (peers show as not connected)`,
  );
  out.push("");
  out.push(
    renderTable(
      ["ARENA", "MODE", "ROOT", "REAL", "UNREAL", "CONFLICTS", "CACHE"],
      s.arenas.map((a) => [
        a.name,
        a.mode,
        a.root ?? "(cache only)",
        `${a.real.files} files, ${formatBytes(a.real.bytes)}`,
        `${a.unreal.files} files, ${formatBytes(a.unreal.bytes)}`,
        String(a.conflicts),
        `${formatBytes(a.cache.used)} of ${formatBytes(a.cache.max)}`,
      ]),
    ),
  );
  if (s.peers.length > 0) {
    out.push("");
    out.push(
      renderTable(
        ["PEER", "ADDRESS", "CONNECTED", "LAST SEEN"],
        s.peers.map((p) => [
          p.name,
          p.address ?? "(dials in)",
          p.connected === null ? "-" : p.connected ? "yes" : "no",
          p.last_seen ?? "-",
        ]),
      ),
    );
  }
  if (s.jobs.length > 0) {
    out.push("");
    out.push(
      renderTable(
        ["JOB", "WHAT", "STATE", "FILES", "BYTES", "TIME"],
        s.jobs.map((j) => [
          String(j.id),
          `${j.direction} ${j.arena} ${j.direction === "push" ? "→" : "←"} ${j.peer}`,
          j.error ? `${j.state}: ${j.error}` : j.state,
          `${j.files.done}/${j.files.total} (${j.files.sent} sent, ${j.files.failed} failed)`,
          `${formatBytes(j.bytes.done)} of ${formatBytes(j.bytes.total)}`,
          formatDuration(j.seconds),
        ]),
      ),
    );
  }
  return out.join("\n");
}
