import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { GatehouseError } from '../errors';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations';

export type Db = Database.Database;

export interface OpenOptions {
  /** A better-sqlite3 binary built for another runtime (Electron's ABI); plain Node leaves it unset. */
  nativeBinding?: string;
  /** For tests of the migrations themselves. */
  migrations?: readonly Migration[];
  /** How long a statement waits for another connection's lock (blocking this thread); 5 s by default. */
  busyTimeoutMs?: number;
}

const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB']);

/**
 * Opens (or creates) the store: WAL so the CLI and a running server can share it, foreign keys on,
 * and every pending migration applied. A database from a newer Gatehouse, or one that is damaged,
 * stops here with a message saying so; it is never reset or rewritten.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? MIGRATIONS;
  const latest = migrations[migrations.length - 1]?.version ?? SCHEMA_VERSION;
  const isNew = !existsSync(file);
  let db: Db | undefined;
  try {
    db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
    if (isNew && process.platform !== 'win32') chmodSync(file, 0o600);
    db.pragma('busy_timeout = 5000');
    // Read the version before anything writes to the file (switching to WAL does), so a file we
    // must refuse is left exactly as it was.
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > latest) {
      throw new GatehouseError(
        'DB_TOO_NEW',
        `The database at ${file} was written by a newer version of Gatehouse (schema ${version}; this version knows up to ${latest}).`,
        'Update Gatehouse, or point --data-dir at another folder. The file was left untouched.',
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    for (const step of migrations) {
      if (step.version > version) applyMigration(db, step);
    }
    // Opening and migrating may wait for another program; what follows waits as long as asked.
    if (options.busyTimeoutMs !== undefined) db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof GatehouseError) throw err;
    const code = (err as { code?: string }).code;
    if (code && CORRUPT_CODES.has(code)) {
      throw new GatehouseError(
        'DB_CORRUPT',
        `The database at ${file} is damaged and cannot be read (${code}).`,
        'Gatehouse did not change it. Restore it from a backup, or move it away to start with an empty one.',
        { cause: err },
      );
    }
    throw new GatehouseError(
      'DB_OPEN_FAILED',
      `Could not open the database at ${file}: ${(err as Error).message}`,
      'Check that the folder exists and that this user may write to it.',
      { cause: err },
    );
  }
}

function applyMigration(db: Db, step: Migration): void {
  // IMMEDIATE takes the write lock first, so a CLI and a server starting together cannot both apply
  // a step; whoever comes second sees the new version and skips it.
  db.transaction(() => {
    if ((db.pragma('user_version', { simple: true }) as number) >= step.version) return;
    db.exec(step.sql);
    db.pragma(`user_version = ${step.version}`);
  }).immediate();
}
