import { rpcBadInput } from "./rpc-bad-input.ts";
import { rpcConformance } from "./rpc-conformance.ts";
import { tlsHarness } from "./tls-test-support.ts";

rpcConformance(tlsHarness());
rpcBadInput(tlsHarness(), {
  random: 100,
  oversize: 50,
  truncated: 50,
  undecodable: 50,
  wrongShape: 100,
  badArgs: 50,
});
