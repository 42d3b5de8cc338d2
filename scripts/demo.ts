/**
 * The README demo, step by step, driving bin/realize exactly as a user would (CLI.md). Each
 * step prints the command it runs and what it printed.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "..");
const REALIZE = join(REPO, "bin", "realize");
const work = mkdtempSync(join(tmpdir(), "realize-demo-"));

interface Peer {
  name: string;
  home: string;
  root: string;
}

function realize(peer: Peer, args: string[]): string {
  console.log(`\n[${peer.name}] $ realize ${args.join(" ")}`);
  const p = Bun.spawnSync([REALIZE, ...args], {
    env: { ...process.env, REALIZE_HOME: peer.home },
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = p.stdout.toString();
  const err = p.stderr.toString();
  if (out.trim()) console.log(out.trimEnd().replace(/^/gm, "    "));
  if (err.trim()) console.log(err.trimEnd().replace(/^/gm, "    "));
  if (p.exitCode !== 0) throw new Error(`realize ${args.join(" ")} exited ${p.exitCode}`);
  return out;
}

function peer(name: string): Peer {
  return { name, home: join(work, name, "home"), root: join(work, name, "files") };
}

try {
  const alice = peer("alice");
  const bob = peer("bob");
  cpSync(join(REPO, "fixtures", "trees", "sample"), alice.root, {
    recursive: true,
    verbatimSymlinks: true,
  });
  cpSync(join(REPO, "fixtures", "trees", "sample"), bob.root, {
    recursive: true,
    verbatimSymlinks: true,
  });

  console.log(`realize demo in ${work}`);
  realize(alice, ["init", "--name", "alice", "--listen", "127.0.0.1:17744"]);
  realize(bob, ["init", "--name", "bob", "--listen", "127.0.0.1:17745"]);
  const aliceKey = JSON.parse(realize(alice, ["id", "--json"])).pubkey as string;
  const bobKey = JSON.parse(realize(bob, ["id", "--json"])).pubkey as string;
  realize(alice, ["peer", "add", "bob", "--pubkey", bobKey, "--address", "127.0.0.1:17745"]);
  realize(bob, ["peer", "add", "alice", "--pubkey", aliceKey, "--address", "127.0.0.1:17744"]);
  realize(alice, ["arena", "add", "sample", "--root", alice.root]);
  realize(bob, ["arena", "add", "sample", "--root", bob.root]);
  realize(alice, ["peer", "list"]);
  realize(bob, ["arena", "list"]);
  console.log("\ndemo: two peers set up, each knowing the other's pinned key.");
} finally {
  if (process.env.KEEP === "1") console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
