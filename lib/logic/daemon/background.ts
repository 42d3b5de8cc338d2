import type { PeerPaths } from "../../config/paths.ts";
import type { Config } from "../../config/types.ts";
import { RealizeError } from "../../model/errors.ts";
import { type JobRequest, type JobStatus, jobMethods } from "../../network/control-protocol.ts";
import { checkPushPull } from "../sync/push-pull.ts";
import { connectControl } from "./control-client.ts";

function noDaemon(paths: PeerPaths): RealizeError {
  return new RealizeError(
    "unreachable",
    `no realize serve runs for ${paths.configDir} (no answer on ${paths.controlSocket}); start \`realize serve\` or run the command without --background`,
    { file: paths.controlSocket },
  );
}

/**
 * Hands a push or pull to this peer's running daemon (`--background`) after checking it
 * against the config; returns the job's id. Throws "unreachable" when no daemon runs.
 */
export async function startBackgroundJob(
  paths: PeerPaths,
  config: Config,
  request: JobRequest,
): Promise<number> {
  checkPushPull(config, request);
  const control = await connectControl(paths);
  if (!control) throw noDaemon(paths);
  try {
    return (await control.call(jobMethods.start, request)).id;
  } finally {
    control.close();
  }
}

/** The daemon's jobs, or undefined when no daemon runs. */
export async function listJobs(paths: PeerPaths): Promise<JobStatus[] | undefined> {
  const control = await connectControl(paths);
  if (!control) return undefined;
  try {
    return await control.call(jobMethods.list, {});
  } finally {
    control.close();
  }
}
