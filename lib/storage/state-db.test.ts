import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RealizeError } from "../model/errors.ts";
import { MIGRATIONS, type Migration } from "./migrations.ts";
import { openStateDb, STATE_DB_FILE, schemaVersion } from "./state-db.ts";

let base: string;
let stateDir: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "realize-state-"));
  stateDir = join(base, "home", "state");
});
afterEach(() => rm(base, { recursive: true, force: true }));

const extra: Migration = {
  version: MIGRATIONS.length + 1,
  name: "a later table",
  up: "CREATE TABLE later (x INTEGER)",
};

describe("openStateDb", () => {
  test("creates the state directory (0700) and one WAL database in it, at the newest schema", async () => {
    const db = openStateDb(stateDir);
    expect(Number((await stat(stateDir)).mode) & 0o777).toBe(0o700);
    expect(await readdir(stateDir)).toContain(STATE_DB_FILE);
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe(
      "wal",
    );
    expect(db.query<{ synchronous: number }, []>("PRAGMA synchronous").get()?.synchronous).toBe(1);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    db.close();
  });

  test("applies each migration once, and later ones on a later open", () => {
    openStateDb(stateDir).close();
    const db = openStateDb(stateDir, [...MIGRATIONS, extra]);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length + 1);
    db.run("INSERT INTO later VALUES (1)");
    db.close();
    const again = openStateDb(stateDir, [...MIGRATIONS, extra]);
    expect(again.query<{ n: number }, []>("SELECT count(*) AS n FROM later").get()?.n).toBe(1);
    expect(
      again.query<{ n: number }, []>("SELECT count(*) AS n FROM schema_version").get()?.n,
    ).toBe(MIGRATIONS.length + 1);
    again.close();
  });

  test("a failing migration leaves the database at the previous version", () => {
    openStateDb(stateDir).close();
    const broken: Migration = { ...extra, up: "CREATE TABLE later (x); CREATE TABLE later (y);" };
    expect(() => openStateDb(stateDir, [...MIGRATIONS, broken])).toThrow();
    const db = openStateDb(stateDir);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.query("SELECT name FROM sqlite_master WHERE name = 'later'").get()).toBeNull();
    db.close();
  });

  test("a database from a newer realize is refused with version_mismatch", () => {
    openStateDb(stateDir, [...MIGRATIONS, extra]).close();
    try {
      openStateDb(stateDir);
      throw new Error("expected a refusal");
    } catch (e) {
      expect(e).toBeInstanceOf(RealizeError);
      expect((e as RealizeError).code).toBe("version_mismatch");
      expect((e as RealizeError).message).toContain(join(stateDir, STATE_DB_FILE));
    }
  });

  test("migrations out of order are a programming error", () => {
    expect(() => openStateDb(stateDir, [{ ...extra, version: 7 }])).toThrow("expected 1");
  });

  test("two openers of one state directory share it", () => {
    const a = openStateDb(stateDir);
    const b = openStateDb(stateDir);
    a.run("INSERT INTO real_file VALUES ('x', 'p', 0, 0, 0, 0, 0, x'00', x'', 0)");
    expect(b.query<{ n: number }, []>("SELECT count(*) AS n FROM real_file").get()?.n).toBe(1);
    a.close();
    b.close();
  });
});
