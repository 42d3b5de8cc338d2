import { rpcConformance } from "./rpc-conformance.ts";
import { tlsHarness } from "./tls-test-support.ts";

rpcConformance(tlsHarness());
