import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ioError, RealizeError } from "../model/errors.ts";
import { MIGRATIONS, type Migration } from "./migrations.ts";

/** File name of the peer's database in its state directory (CLI.md: REALIZE_HOME/state/). */
export const STATE_DB_FILE = "realize.db";

/** How long a writer waits for another process (serve, a CLI command) to finish writing. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens (creating if needed) the one database of this peer in `stateDir`, outside every
 * arena root: WAL journal, synchronous=NORMAL (a crash may lose the last commits, never
 * corrupt the file), foreign keys on, and the schema brought up to date by `migrations`.
 * Several processes may open it at once. Throws "version_mismatch" when the file was
 * written by a newer realize.
 */
export function openStateDb(
  stateDir: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Database {
  const file = join(stateDir, STATE_DB_FILE);
  let db: Database;
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    db = new Database(file, { create: true, strict: true });
  } catch (e) {
    throw ioError("open the state database", file, e);
  }
  try {
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.run("PRAGMA journal_mode = WAL");
    db.run("PRAGMA synchronous = NORMAL");
    db.run("PRAGMA foreign_keys = ON");
    migrate(db, migrations, file);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** The highest schema version applied to `db` (0 for a new file). */
export function schemaVersion(db: Database): number {
  db.run(
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ns INTEGER NOT NULL)",
  );
  const row = db
    .query<{ v: number | null }, []>("SELECT max(version) AS v FROM schema_version")
    .get();
  return row?.v ?? 0;
}

/**
 * Applies, in order and each in its own immediate transaction, every migration newer than
 * the database. Safe against another process migrating at the same time: the version is
 * read again inside the transaction.
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[],
  file = "the state database",
): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const known = migrations.length;
  const current = schemaVersion(db);
  if (current > known) {
    throw new RealizeError(
      "version_mismatch",
      `${file} has schema version ${current}, but this realize knows only up to ${known}; run a newer realize`,
      { file, version: current, known },
    );
  }
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      if (schemaVersion(db) >= m.version) return;
      if (typeof m.up === "string") db.run(m.up);
      else m.up(db);
      db.query("INSERT INTO schema_version (version, name, applied_ns) VALUES (?, ?, ?)").run(
        m.version,
        m.name,
        BigInt(Date.now()) * 1_000_000n,
      );
    }).immediate();
  }
}
