import { describe, expect, test } from "bun:test";
import type { Config, PeerConfig } from "../config/types.ts";
import { PeerRates } from "./peer-rates.ts";

function config(peers: Record<string, number | undefined>): Config {
  const table: Record<string, PeerConfig> = {};
  for (const [name, maxRate] of Object.entries(peers)) {
    table[name] = {
      name,
      pubkey: "ed25519:x",
      pubkeyRaw: new Uint8Array(32),
      ...(maxRate !== undefined && { maxRate }),
    };
  }
  return {
    file: "/tmp/config.toml",
    peer: { name: "laptop", listen: { host: "127.0.0.1", port: 7744 } },
    peers: table,
    arenas: {},
  };
}

describe("PeerRates", () => {
  test("each peer gets its max_rate both ways; others are unlimited", () => {
    const rates = new PeerRates(config({ nas: 20_000_000, phone: undefined }));
    expect([rates.of("nas").send.rate, rates.of("nas").receive.rate]).toEqual([
      20_000_000, 20_000_000,
    ]);
    expect(rates.of("phone").send.unlimited).toBe(true);
    expect(rates.of("stranger").receive.unlimited).toBe(true);
  });

  test("every link to one peer gets the same buckets", () => {
    const rates = new PeerRates(config({ nas: 1000 }));
    expect(rates.of("nas")).toBe(rates.of("nas"));
    expect(rates.of("nas")).not.toBe(rates.of("phone"));
  });

  test("a reload changes the buckets in place", () => {
    const rates = new PeerRates(config({ nas: 1000, phone: undefined }));
    const nas = rates.of("nas");
    const phone = rates.of("phone");
    rates.update(config({ nas: undefined, phone: 5000 }));
    expect(nas.send.unlimited && nas.receive.unlimited).toBe(true);
    expect([phone.send.rate, phone.receive.rate]).toEqual([5000, 5000]);
  });
});
