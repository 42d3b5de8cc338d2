import * as v from "valibot";
import { callMethod, schemaCodec } from "./method.ts";

/**
 * The methods of the control socket, by which the CLI talks to the running daemon of the
 * same peer (`realize status`, `push --background`…). Times are ISO 8601 strings.
 */

const time = v.pipe(v.string(), v.isoTimestamp());
const nullableTime = v.nullable(time);

const peerStatus = v.strictObject({
  name: v.string(),
  /** `host:port` from the config, or null for a peer that only dials in. */
  address: v.nullable(v.string()),
  connected: v.boolean(),
  /** Connections open to it now (two when both sides dialled). */
  connections: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  /** When bytes last arrived from it, since the daemon started. */
  lastSeen: nullableTime,
  /** Since when it has been connected without a break; null when it is not. */
  connectedSince: nullableTime,
});

const daemonStatus = v.strictObject({
  peer: v.string(),
  pid: v.number(),
  started: time,
  /** Where the daemon accepts peers, as bound (`127.0.0.1:7744`). */
  listen: v.string(),
  /** `http://ADDRESS/metrics`, or null when the config sets no `metrics`. */
  metrics: v.nullable(v.string()),
  peers: v.array(peerStatus),
});

/** One peer of the household as the daemon sees it. */
export type PeerStatus = v.InferOutput<typeof peerStatus>;
/** The running daemon: who it is, where it listens, and each peer's connection. */
export type DaemonStatus = v.InferOutput<typeof daemonStatus>;

/** The control socket's methods. */
export const controlMethods = {
  /** The daemon's status. */
  status: callMethod("control.status", {
    args: schemaCodec(v.strictObject({})),
    result: schemaCodec(daemonStatus),
  }),
};

const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

const jobRequest = v.strictObject({
  direction: v.picklist(["push", "pull"]),
  arena: v.string(),
  peer: v.string(),
  paths: v.array(v.string()),
  dryRun: v.boolean(),
  move: v.boolean(),
  maxDurationMs: v.nullable(count),
  maxRate: v.nullable(count),
});

const jobStatus = v.strictObject({
  id: count,
  direction: v.picklist(["push", "pull"]),
  arena: v.string(),
  peer: v.string(),
  /** running; done (everything synced); partial (some files failed); stopped; failed. */
  state: v.picklist(["running", "done", "partial", "stopped", "failed"]),
  started: time,
  files: v.strictObject({
    total: count,
    done: count,
    sent: count,
    unchanged: count,
    failed: count,
  }),
  bytes: v.strictObject({ total: count, done: count, sent: count, wire: count }),
  /** The files being transferred now. */
  inFlight: v.array(v.strictObject({ path: v.string(), size: count, done: count })),
  /** Files that failed, with the reason, once the job ended. */
  failed: v.array(v.strictObject({ path: v.string(), error: v.string() })),
  /** Why the whole job failed, for state "failed". */
  error: v.nullable(v.string()),
  seconds: v.number(),
});

/** A push or pull handed to the daemon (`--background`). */
export type JobRequest = v.InferOutput<typeof jobRequest>;
/** A background job as `realize status` shows it. */
export type JobStatus = v.InferOutput<typeof jobStatus>;

/** Background push/pull jobs on the control socket. */
export const jobMethods = {
  /** Starts a job; answers with its id at once. */
  start: callMethod("control.job.start", {
    args: schemaCodec(jobRequest),
    result: schemaCodec(v.strictObject({ id: count })),
  }),
  /** Every job since the daemon started, newest last. */
  list: callMethod("control.job.list", {
    args: schemaCodec(v.strictObject({})),
    result: schemaCodec(v.array(jobStatus)),
  }),
};
