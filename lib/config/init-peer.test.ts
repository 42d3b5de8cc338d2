import { afterAll, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "./config.ts";
import { loadIdentity } from "./identity.ts";
import { initPeer } from "./init-peer.ts";
import { peerPaths } from "./paths.ts";

const base = mkdtempSync(join(tmpdir(), "realize-init-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let count = 0;
const freshPaths = () => peerPaths({ REALIZE_HOME: join(base, `home${count++}`) });

test("creates the key and a config naming the peer", async () => {
  const paths = freshPaths();
  const result = await initPeer(paths, { name: "laptop", listen: "127.0.0.1:7000" });
  expect(result.configWritten).toBe(true);
  expect(statSync(paths.config).mode & 0o777).toBe(0o600);
  const config = await loadConfig(paths.config);
  expect(config.peer).toEqual({ name: "laptop", listen: { host: "127.0.0.1", port: 7000 } });
  expect((await loadIdentity(paths)).pubkey).toBe(result.identity.pubkey);
});

test("refuses when a key exists, touching neither key nor config", async () => {
  const paths = freshPaths();
  await initPeer(paths, { name: "laptop" });
  writeFileSync(paths.config, '# mine\n[peer]\nname = "laptop"\n');
  const key = readFileSync(paths.key, "utf8");
  await expect(initPeer(paths, { name: "other" })).rejects.toMatchObject({ code: "key_exists" });
  expect(readFileSync(paths.key, "utf8")).toBe(key);
  expect(readFileSync(paths.config, "utf8")).toBe('# mine\n[peer]\nname = "laptop"\n');
});

test("keeps an existing config that names the same peer, and adds only the key", async () => {
  const paths = freshPaths();
  mkdirSync(paths.configDir, { recursive: true });
  const text = '# hand-written\n[peer]\nname = "nas"\n';
  writeFileSync(paths.config, text);
  const result = await initPeer(paths, { name: "nas" });
  expect(result.configWritten).toBe(false);
  expect(readFileSync(paths.config, "utf8")).toBe(text);
  expect(existsSync(paths.key)).toBe(true);
});

test.each([
  ['[peer]\nname = "nas"\n', { name: "laptop" }, "usage", 'already names this peer "nas"'],
  ['[peer]\nname = "nas"\nbad = 1\n', { name: "nas" }, "config", "peer.bad: unknown key"],
])(
  "refuses an existing config it cannot keep, creating no key (%#)",
  async (text, req, code, words) => {
    const paths = freshPaths();
    mkdirSync(paths.configDir, { recursive: true });
    writeFileSync(paths.config, text);
    const err = await initPeer(paths, req).catch((e) => e);
    expect(err).toMatchObject({ code });
    expect(err.message).toContain(words);
    expect(existsSync(paths.key)).toBe(false);
  },
);

test.each([
  [
    { name: "Laptop" },
    '--name: peer name "Laptop" has "L"; only a-z, 0-9, "_" and "-" are allowed',
  ],
  [{ name: "laptop", listen: "0.0.0.0:0" }, "--listen port must be a number from 1 to 65535"],
  [{ name: "laptop", listen: "nowhere" }, '--listen "nowhere" has no port'],
])("bad flags are usage errors and create nothing (%#)", async (req, words) => {
  const paths = freshPaths();
  const err = await initPeer(paths, req).catch((e) => e);
  expect(err).toMatchObject({ code: "usage" });
  expect(err.message).toContain(words);
  expect(existsSync(paths.configDir)).toBe(false);
});

test("--config elsewhere writes the config there and the key in the home", async () => {
  const home = join(base, "elsewhere-home");
  const file = join(base, "elsewhere", "deep", "c.toml");
  const paths = peerPaths({ REALIZE_HOME: home }, file);
  await initPeer(paths, { name: "x" });
  expect((await loadConfig(file)).peer.name).toBe("x");
  expect(existsSync(join(home, "key.pem"))).toBe(true);
  expect(existsSync(join(home, "config.toml"))).toBe(false);
});
