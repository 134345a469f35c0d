/**
 * The schema, one step per version. A step is applied in its own transaction together with the
 * `user_version` bump, so a crash leaves the database at the previous version, never half-way.
 * Never edit a released step: add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'settings and API tokens',
    sql: `
      CREATE TABLE settings (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE tokens (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        hash         TEXT NOT NULL UNIQUE,
        hint         TEXT NOT NULL,
        scope        TEXT NOT NULL CHECK (scope IN ('inference', 'admin')),
        allow_models TEXT NOT NULL DEFAULT '[]',
        deny_models  TEXT NOT NULL DEFAULT '[]',
        rpm          INTEGER CHECK (rpm IS NULL OR rpm > 0),
        concurrency  INTEGER CHECK (concurrency IS NULL OR concurrency > 0),
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER,
        last_used_at INTEGER,
        revoked_at   INTEGER
      ) STRICT;

      -- A revoked token keeps its row (for the audit trail) but frees its name.
      CREATE UNIQUE INDEX tokens_active_name ON tokens (name COLLATE NOCASE) WHERE revoked_at IS NULL;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
