import { memoryLinkPair } from "./memory-transport.ts";
import { rpcBadInput } from "./rpc-bad-input.ts";
import { rpcConformance } from "./rpc-conformance.ts";
import type { LinkHarness } from "./rpc-test-support.ts";

/** The in-memory pipe: each dial makes a fresh pair and hands the server side to `accept`. */
const memoryHarness: LinkHarness = {
  name: "the in-memory pipe",
  async listen(accept) {
    let port = 0;
    return {
      async dial() {
        port++;
        const [client, server] = memoryLinkPair(
          { name: "alpha", address: `memory:${port}` },
          { name: "beta", address: "memory:server" },
        );
        accept(server);
        return client;
      },
      async close() {},
    };
  },
};

rpcConformance(memoryHarness);
rpcBadInput(memoryHarness, {
  random: 2000,
  oversize: 300,
  truncated: 500,
  undecodable: 500,
  wrongShape: 2000,
  badArgs: 500,
});
