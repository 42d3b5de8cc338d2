import { loadConfig } from "../../config/config.ts";
import { formatHostPort } from "../../config/host-port.ts";
import { type Identity, makePrivateDir } from "../../config/identity.ts";
import type { PeerPaths } from "../../config/paths.ts";
import type { Config, HostPort, PeerConfig } from "../../config/types.ts";
import { errorMessage, RealizeError } from "../../model/errors.ts";
import type { Logger } from "../../model/logger.ts";
import { Backoff, type BackoffOptions } from "../../network/backoff.ts";
import { controlMethods, type DaemonStatus, jobMethods } from "../../network/control-protocol.ts";
import { MeteredService } from "../../network/metered-service.ts";
import { Metrics } from "../../network/metrics.ts";
import { type MetricsServer, startMetricsServer } from "../../network/metrics-server.ts";
import { PeerRates } from "../../network/peer-rates.ts";
import { pingMethod } from "../../network/ping-method.ts";
import { Service } from "../../network/service.ts";
import {
  type LocalIdentity,
  type TlsListener,
  tlsDial,
  tlsListen,
} from "../../network/tls-transport.ts";
import { IndexDb } from "../../storage/index-db.ts";
import { localEndpoints } from "../sync/local-arena.ts";
import { registerSyncService } from "../sync/peer-service.ts";
import { type ControlServer, claimControlSocket, startControlServer } from "./control-server.ts";
import { JobRunner } from "./jobs.ts";
import { PeerConnections } from "./peer-connections.ts";
import { PeerDialer } from "./peer-dialer.ts";

/** What a daemon runs with. */
export interface DaemonOptions {
  paths: PeerPaths;
  config: Config;
  identity: Identity;
  logger: Logger;
  /** The peer's index; opened from the state directory (and closed on stop) when absent. */
  index?: IndexDb;
  /** Tuning of the redial backoff (tests shorten it). */
  backoff?: BackoffOptions;
}

interface Dialing {
  dialer: PeerDialer;
  /** Address and key it dials: a change of either replaces the dialer. */
  target: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const targetOf = (peer: PeerConfig & { address: HostPort }) =>
  `${formatHostPort(peer.address)} ${peer.pubkey}`;

/**
 * `realize serve`: accepts peers on `listen`, keeps a connection to every peer with an
 * address (redialling with backoff whenever it drops), serves the peer methods (ping,
 * sync) on every connection, answers the CLI on the control socket, and serves metrics
 * when the config asks. A reloaded config applies to new handshakes, dialers, rates and
 * addresses without a restart; a peer removed from the config is disconnected.
 */
export class Daemon {
  /** The methods peers may call; other modules register theirs here before peers connect. */
  readonly service: MeteredService;
  /** The methods the CLI may call on the control socket. */
  readonly control = new Service();
  readonly metrics = new Metrics();
  readonly started = new Date();
  private config: Config;
  /** Background push/pull jobs (`--background`). */
  private readonly jobs: JobRunner;
  private readonly logger: Logger;
  private readonly rates: PeerRates;
  private readonly connections: PeerConnections;
  private readonly dialers = new Map<string, Dialing>();
  private index: IndexDb | undefined;
  private listener: TlsListener | undefined;
  private metricsServer: MetricsServer | undefined;
  private controlServer: ControlServer | undefined;
  private stopped = false;
  private serving = false;

  private constructor(private readonly options: DaemonOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.index = options.index;
    this.rates = new PeerRates(options.config);
    this.service = new MeteredService(this.metrics);
    this.service.on(pingMethod, () => ({ peer: this.config.peer.name, time: Date.now() }));
    this.control.on(controlMethods.status, () => this.status());
    this.jobs = new JobRunner(options.paths, () => this.config, this.logger);
    this.control.on(jobMethods.start, (request) => ({ id: this.jobs.start(request) }));
    this.control.on(jobMethods.list, () => this.jobs.list());
    this.connections = new PeerConnections({
      service: this.service,
      metrics: this.metrics,
      rates: this.rates,
      logger: this.logger,
    });
  }

  /**
   * Starts a daemon: refuses with "already_running" when another one answers on the control
   * socket, binds `listen` ("address_in_use"), the metrics address and the control socket,
   * then dials the peers. Whatever was started is closed again when a step fails.
   */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options);
    try {
      await daemon.open();
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return daemon;
  }

  private async open(): Promise<void> {
    const { paths } = this.options;
    await makePrivateDir(paths.stateDir);
    await claimControlSocket(paths.controlSocket);
    this.index ??= IndexDb.open(paths.stateDir);
    const index = this.index;
    registerSyncService(this.service, (arena, peer) =>
      localEndpoints(this.config, index, arena, peer),
    );
    this.listener = await this.listen(this.config.peer.listen);
    if (this.config.peer.metrics) {
      this.metricsServer = startMetricsServer(this.config.peer.metrics, this.metrics);
    }
    this.controlServer = await startControlServer(paths.controlSocket, this.control, this.logger);
    this.syncDialers();
    this.serving = true;
    this.logger.log("info", "serving", {
      peer: this.config.peer.name,
      listen: formatHostPort(this.listener.address),
      control: paths.controlSocket,
      metrics: this.metricsServer?.url,
    });
  }

  /** The daemon as `control.status` reports it. */
  status(): DaemonStatus {
    return {
      peer: this.config.peer.name,
      pid: process.pid,
      started: this.started.toISOString(),
      listen: this.listener ? formatHostPort(this.listener.address) : "",
      metrics: this.metricsServer?.url ?? null,
      peers: Object.values(this.config.peers).map((peer) => {
        const state = this.connections.state(peer.name);
        return {
          name: peer.name,
          address: peer.address ? formatHostPort(peer.address) : null,
          connected: state.connected,
          connections: state.connections,
          lastSeen: iso(state.lastSeen),
          connectedSince: iso(state.connectedSince),
        };
      }),
    };
  }

  /** The config the daemon runs with now. */
  get currentConfig(): Config {
    return this.config;
  }

  /**
   * Reads the config file again and applies it. A config that does not load (bad syntax,
   * bad values, gone) is logged and the running one kept; returns whether it applied.
   */
  async reload(): Promise<boolean> {
    let next: Config;
    try {
      next = await loadConfig(this.config.file);
    } catch (error) {
      this.logger.log("error", "config not reloaded; keeping the running config", {
        file: this.config.file,
        reason: errorMessage(error),
      });
      return false;
    }
    await this.apply(next);
    this.logger.log("info", "config reloaded", {
      file: next.file,
      peers: Object.keys(next.peers).length,
      arenas: Object.keys(next.arenas).length,
    });
    return true;
  }

  /** Runs with `next` from now on: rates, household, dialers, listen and metrics addresses. */
  async apply(next: Config): Promise<void> {
    if (this.stopped) return;
    const previous = this.config;
    this.config = next;
    this.rates.update(next);
    for (const name of Object.keys(previous.peers)) {
      if (next.peers[name]?.pubkey === previous.peers[name]?.pubkey) continue;
      this.connections.closePeer(
        name,
        new RealizeError("refused", `peer ${name} is no longer in the config of ${next.peer.name}`),
      );
    }
    this.syncDialers();
    if (formatHostPort(next.peer.listen) !== formatHostPort(previous.peer.listen)) {
      await this.replace("listen", async () => {
        const listener = await this.listen(next.peer.listen);
        await this.listener?.close();
        this.listener = listener;
      });
    }
    const metricsAt = (c: Config) => (c.peer.metrics ? formatHostPort(c.peer.metrics) : "");
    if (metricsAt(next) !== metricsAt(previous)) {
      await this.replace("metrics", async () => {
        const server = next.peer.metrics
          ? startMetricsServer(next.peer.metrics, this.metrics)
          : undefined;
        await this.metricsServer?.stop();
        this.metricsServer = server;
      });
    }
  }

  /**
   * Stops: no more dialling, every peer connection closed with a bye (waiting briefly for
   * the peers to see it), then the listener, metrics and control socket (its file is
   * removed). Safe to call twice.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.dialers.values()].map(({ dialer }) => dialer.stop()));
    this.dialers.clear();
    await this.jobs.stopAll();
    await this.connections.closeAll(
      new RealizeError("cancelled", `peer ${this.config.peer.name} is shutting down`),
    );
    await this.listener?.close();
    await this.metricsServer?.stop();
    await this.controlServer?.close();
    if (!this.options.index) this.index?.close();
    if (this.serving) this.logger.log("info", "stopped", { peer: this.config.peer.name });
  }

  private identity(): LocalIdentity {
    return { name: this.config.peer.name, privateKey: this.options.identity.privateKey };
  }

  private listen(at: HostPort): Promise<TlsListener> {
    return tlsListen({
      identity: this.identity(),
      listen: at,
      peers: () => Object.values(this.config.peers),
      logger: this.logger,
      onLink: (link) => {
        if (this.stopped) link.stream.destroy();
        else this.connections.adopt(link, "in");
      },
      onRefused: (reason) => this.metrics.connectionRefused(reason.code),
    });
  }

  /** Starts a dialer for each peer with an address; stops those whose peer changed or left. */
  private syncDialers(): void {
    const wanted = new Map<string, PeerConfig & { address: HostPort }>();
    for (const peer of Object.values(this.config.peers)) {
      if (peer.address) wanted.set(peer.name, { ...peer, address: peer.address });
    }
    for (const [name, { dialer, target }] of this.dialers) {
      const peer = wanted.get(name);
      if (peer && targetOf(peer) === target) continue;
      void dialer.stop();
      this.dialers.delete(name);
    }
    for (const [name, peer] of wanted) {
      if (this.dialers.has(name)) continue;
      const dialer = new PeerDialer({
        peer: name,
        dial: (signal) => tlsDial({ identity: this.identity(), peer, signal }),
        connect: (link) => this.connections.adopt(link, "out"),
        logger: this.logger,
        backoff: new Backoff(this.options.backoff),
      });
      this.dialers.set(name, { dialer: dialer.start(), target: targetOf(peer) });
    }
  }

  /** Moves `what` to its new address; on failure logs why and keeps the old one. */
  private async replace(what: string, move: () => Promise<void>): Promise<void> {
    try {
      await move();
    } catch (error) {
      this.logger.log("error", `cannot move ${what}; keeping the old address`, {
        reason: errorMessage(error),
      });
    }
  }
}
