import { Box, Text } from "ink";
import type { TransferProgress } from "../model/transfer.ts";
import { formatBytes, formatDuration, formatRate, rateAndEta } from "./format.ts";

const BAR_WIDTH = 30;
const SHOWN_IN_FLIGHT = 5;

function bar(done: number, total: number): string {
  const filled =
    total > 0 ? Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH)) : BAR_WIDTH;
  return `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
}

function percent(done: number, total: number): string {
  return total > 0 ? `${Math.floor((done / total) * 100)}%` : "100%";
}

/**
 * The terminal view of a running push/pull: a bar over bytes, files done of total, rate, time
 * left and the files in flight. Pure function of the progress snapshot.
 */
export function TransferView({ progress }: { progress: TransferProgress }) {
  const { files, bytes, inFlight } = progress;
  const { rate, etaSeconds } = rateAndEta(bytes.done, bytes.total, progress.elapsedMs);
  const arrow = progress.direction === "push" ? "→" : "←";
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>{progress.direction}</Text> {progress.arena} {arrow} {progress.peer}
      </Text>
      <Text>
        <Text color="green">{bar(bytes.done, bytes.total)}</Text> {percent(bytes.done, bytes.total)}{" "}
        {formatBytes(bytes.done)} of {formatBytes(bytes.total)} · {formatRate(rate)} · ETA{" "}
        {formatDuration(etaSeconds)}
      </Text>
      <Text>
        files {files.done}/{files.total} · sent {files.sent} · unchanged {files.unchanged}
        {files.failed > 0 ? <Text color="red"> · failed {files.failed}</Text> : null} · on the wire{" "}
        {formatBytes(bytes.wire)}
      </Text>
      {inFlight.slice(0, SHOWN_IN_FLIGHT).map((f) => (
        <Text key={f.path} dimColor wrap="truncate-middle">
          {"  "}
          {percent(f.done, f.size).padStart(4)} {f.path}
        </Text>
      ))}
      {inFlight.length > SHOWN_IN_FLIGHT ? (
        <Text dimColor>
          {"  "}… and {inFlight.length - SHOWN_IN_FLIGHT} more
        </Text>
      ) : null}
    </Box>
  );
}
