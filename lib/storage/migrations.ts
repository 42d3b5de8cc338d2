import type { Database } from "bun:sqlite";

/**
 * One step of the state database's schema. Versions are 1, 2, 3… in order; a step is
 * applied once, in its own transaction, and never edited after release: a change to a
 * table is a new step. Add new tables (history, blob cache…) by appending here.
 */
export interface Migration {
  version: number;
  name: string;
  up: string | ((db: Database) => void);
}

/** Every schema step, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "real files of each arena with the metadata that detects change",
    up: `
      CREATE TABLE real_file (
        arena      TEXT    NOT NULL,
        path       TEXT    NOT NULL,
        size       INTEGER NOT NULL,
        mtime_ns   INTEGER NOT NULL,
        ino        INTEGER NOT NULL,
        ctime_ns   INTEGER NOT NULL,
        mode       INTEGER NOT NULL,
        hash       BLOB    NOT NULL,
        leaves     BLOB    NOT NULL,
        checked_ns INTEGER NOT NULL,
        PRIMARY KEY (arena, path)
      ) WITHOUT ROWID;
    `,
  },
];
