/**
 * The README demo, step by step, driving bin/realize exactly as a user would (CLI.md): two
 * peers on loopback push the sample tree, edit a big file and push the delta, then pull a
 * change back. Each step prints the command and what it printed; a summary ends it.
 */
import {
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeNoiseFile } from "../fixtures/noise.ts";

const REPO = resolve(import.meta.dir, "..");
const REALIZE = join(REPO, "bin", "realize");
const work = mkdtempSync(join(tmpdir(), "realize-demo-"));
const BIG = 32 * 1024 * 1024;

interface Peer {
  name: string;
  home: string;
  root: string;
}

function realize(peer: Peer, args: string[], quiet = false): string {
  console.log(`\n[${peer.name}] $ realize ${args.join(" ")}`);
  const p = Bun.spawnSync([REALIZE, ...args], {
    env: { ...process.env, REALIZE_HOME: peer.home },
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = p.stdout.toString();
  const err = p.stderr.toString();
  if (!quiet && out.trim()) console.log(out.trimEnd().replace(/^/gm, "    "));
  if (err.trim()) console.log(err.trimEnd().replace(/^/gm, "    "));
  if (p.exitCode !== 0) throw new Error(`realize ${args.join(" ")} exited ${p.exitCode}`);
  return out;
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => done(port));
    });
  });
}

const peer = (name: string): Peer => ({
  name,
  home: join(work, name, "home"),
  root: join(work, name, "files"),
});
const summaries: string[] = [];
let serve: Bun.Subprocess | undefined;

try {
  const alice = peer("alice");
  const bob = peer("bob");
  cpSync(join(REPO, "fixtures", "trees", "sample"), alice.root, {
    recursive: true,
    verbatimSymlinks: true,
  });
  writeNoiseFile(join(alice.root, "video.bin"), BIG, 1);
  const [alicePort, bobPort] = [await freePort(), await freePort()];

  console.log(`realize demo in ${work}: alice pushes her files to bob, then pulls bob's edit back`);
  realize(alice, ["init", "--name", "alice", "--listen", `127.0.0.1:${alicePort}`]);
  realize(bob, ["init", "--name", "bob", "--listen", `127.0.0.1:${bobPort}`]);
  const key = (p: Peer) => JSON.parse(realize(p, ["id", "--json"], true)).pubkey as string;
  realize(alice, ["peer", "add", "bob", "--pubkey", key(bob), "--address", `127.0.0.1:${bobPort}`]);
  realize(bob, [
    "peer",
    "add",
    "alice",
    "--pubkey",
    key(alice),
    "--address",
    `127.0.0.1:${alicePort}`,
  ]);
  mkdirSync(bob.root, { recursive: true });
  realize(alice, ["arena", "add", "sample", "--root", alice.root]);
  realize(bob, ["arena", "add", "sample", "--root", bob.root]);

  console.log("\n[bob] $ realize serve   (in the background)");
  serve = Bun.spawn([REALIZE, "serve"], {
    env: { ...process.env, REALIZE_HOME: bob.home },
    stdout: "ignore",
    stderr: "ignore",
  });
  for (let i = 0; ; i++) {
    const p = Bun.spawnSync([REALIZE, "ping", "bob"], {
      env: { ...process.env, REALIZE_HOME: alice.home },
    });
    if (p.exitCode === 0) break;
    if (i > 100) throw new Error("bob's realize serve did not answer");
    await Bun.sleep(100);
  }
  realize(alice, ["ping", "bob"]);

  const push = (label: string) => {
    const out = realize(alice, ["push", "sample", "bob", "--progress", "log", "--json"], true);
    const s = JSON.parse(out);
    summaries.push(
      `${label}: ${s.files.sent} of ${s.files.total} files sent, ${(s.bytes.sent / 1e6).toFixed(2)} MB of content (${(s.bytes.total / 1e6).toFixed(2)} MB in the arena), ${(s.bytes.wire / 1e6).toFixed(2)} MB on the wire, ${s.seconds} s`,
    );
  };
  push("first push");

  console.log("\n[alice] edits 100 bytes in the middle of video.bin");
  const fd = openSync(join(alice.root, "video.bin"), "r+");
  writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, BIG / 2);
  closeSync(fd);
  push("push after a 100-byte edit (only a small delta of the changed leaf travels)");

  console.log("\n[bob] edits docs/notes/todo.md");
  writeFileSync(
    join(bob.root, "docs/notes/todo.md"),
    "shopping: bread, milk, tea, and a new kettle\n",
  );
  const pulled = JSON.parse(
    realize(alice, ["pull", "sample", "bob", "docs", "--progress", "log", "--json"], true),
  );
  summaries.push(`pull of docs/: ${pulled.files.sent} file(s) came back from bob`);

  const same = (path: string) =>
    readFileSync(join(alice.root, path)).equals(readFileSync(join(bob.root, path)));
  const checks = [
    "video.bin",
    "docs/notes/todo.md",
    "docs/notes/été à la mer.txt",
    "src/deep/er/still/answer.ts",
  ];
  console.log("\nsummary:");
  for (const line of summaries) console.log(`  - ${line}`);
  console.log(
    `  - scratch.tmp is ignored by .realizeignore, so bob has none: ${!Bun.file(join(bob.root, "scratch.tmp")).size}`,
  );
  for (const path of checks) console.log(`  - ${path} identical on both peers: ${same(path)}`);
  if (!checks.every(same)) throw new Error("the peers differ after the demo");
} finally {
  serve?.kill("SIGTERM");
  await serve?.exited;
  if (process.env.KEEP === "1") console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
