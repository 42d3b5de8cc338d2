import type { Config } from "../config/types.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { LinkRates } from "./limit-link.ts";
import { TokenBucket } from "./token-bucket.ts";

/**
 * One pair of token buckets per peer, from `max_rate` in the config: every link to that
 * peer (dialled or accepted, the daemon's or a push's) takes the same pair, so the cap
 * holds for the peer as a whole. Both directions are paced at `max_rate`. `update` applies
 * a reloaded config to the buckets in place, so open links follow the new rate.
 */
export class PeerRates {
  private readonly buckets = new Map<string, LinkRates>();
  private config: Config;

  constructor(
    config: Config,
    private readonly clock: Clock = systemClock,
  ) {
    this.config = config;
  }

  /** The buckets of `peer`; a peer without `max_rate` (or not in the config) is unlimited. */
  of(peer: string): LinkRates {
    let rates = this.buckets.get(peer);
    if (!rates) {
      const rate = this.rateOf(peer);
      rates = {
        send: new TokenBucket(rate, undefined, this.clock),
        receive: new TokenBucket(rate, undefined, this.clock),
      };
      this.buckets.set(peer, rates);
    }
    return rates;
  }

  /** Bytes per second allowed each way for `peer`, or undefined for no cap. */
  rateOf(peer: string): number | undefined {
    return this.config.peers[peer]?.maxRate;
  }

  /** Takes the rates of `config` (a reload); links already open follow at once. */
  update(config: Config): void {
    this.config = config;
    for (const [peer, rates] of this.buckets) {
      const rate = this.rateOf(peer);
      if (rates.send.rate !== (rate ?? 0)) rates.send.setRate(rate);
      if (rates.receive.rate !== (rate ?? 0)) rates.receive.setRate(rate);
    }
  }
}
