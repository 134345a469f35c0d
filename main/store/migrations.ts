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
  {
    version: 2,
    name: 'usage metering, audit log, security events, metrics permission',
    sql: `
      ALTER TABLE tokens ADD COLUMN metrics INTEGER NOT NULL DEFAULT 0 CHECK (metrics IN (0, 1));

      -- One row per forwarded request. Times in epoch ms, durations in ms.
      CREATE TABLE requests (
        id                INTEGER PRIMARY KEY,
        at                INTEGER NOT NULL,
        token_id          TEXT,
        token_name        TEXT,
        model             TEXT,
        route             TEXT NOT NULL,
        status            INTEGER NOT NULL,
        duration_ms       REAL NOT NULL,
        ttfb_ms           REAL,
        prompt_tokens     INTEGER,
        completion_tokens INTEGER,
        streamed          INTEGER NOT NULL,
        aborted           INTEGER NOT NULL,
        error             TEXT,
        ip                TEXT NOT NULL,
        bytes_in          INTEGER NOT NULL,
        bytes_out         INTEGER NOT NULL,
        overhead_ms       REAL NOT NULL
      ) STRICT;
      CREATE INDEX requests_at ON requests (at);

      -- Per hour × token × model, updated by every batch; '' stands for "no token" / "no model" so the key is never NULL.
      CREATE TABLE usage_hourly (
        hour              INTEGER NOT NULL,
        token_id          TEXT NOT NULL,
        token_name        TEXT NOT NULL,
        model             TEXT NOT NULL,
        requests          INTEGER NOT NULL,
        errors            INTEGER NOT NULL,
        prompt_tokens     INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        duration_p50      REAL,
        duration_p95      REAL,
        ttfb_p50          REAL,
        ttfb_p95          REAL,
        -- Sparse log-bucket histograms (JSON) that later batches merge into; see metering/histogram.ts.
        duration_hist     TEXT NOT NULL,
        ttfb_hist         TEXT NOT NULL,
        PRIMARY KEY (hour, token_id, model)
      ) STRICT;

      CREATE TABLE audit_log (
        id     INTEGER PRIMARY KEY,
        at     INTEGER NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
      ) STRICT;
      CREATE INDEX audit_log_at ON audit_log (at);

      CREATE TABLE security_events (
        id          INTEGER PRIMARY KEY,
        at          INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        ip          TEXT NOT NULL,
        token_id    TEXT,
        token_name  TEXT,
        fingerprint TEXT,
        route       TEXT,
        detail      TEXT NOT NULL
      ) STRICT;
      CREATE INDEX security_events_at ON security_events (at);
    `,
  },
  {
    version: 3,
    name: 'admin sign-in links and sessions',
    sql: `
      -- One-time sign-in links for the dashboard; only the SHA-256 of the code is kept.
      CREATE TABLE admin_links (
        hash       TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at    INTEGER
      ) STRICT;

      CREATE TABLE admin_sessions (
        id           TEXT PRIMARY KEY,
        created_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        revoked_at   INTEGER,
        ip           TEXT NOT NULL,
        user_agent   TEXT NOT NULL DEFAULT ''
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: 'remote admin sign-in and invites',
    sql: `
      -- The one administrator: a scrypt password hash and a TOTP secret. pending_totp holds a secret
      -- shown during enrolment until a code proves the authenticator has it.
      CREATE TABLE admin_account (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        password_hash   TEXT,
        totp_secret     TEXT,
        pending_totp    TEXT,
        last_totp_step  INTEGER NOT NULL DEFAULT 0,
        updated_at      INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE recovery_codes (
        hash    TEXT PRIMARY KEY,
        used_at INTEGER
      ) STRICT;

      CREATE TABLE invites (
        id                TEXT PRIMARY KEY,
        secret_hash       TEXT NOT NULL,
        name              TEXT NOT NULL,
        policy            TEXT NOT NULL,
        created_at        INTEGER NOT NULL,
        expires_at        INTEGER NOT NULL,
        redeemed_at       INTEGER,
        redeemed_token_id TEXT,
        revoked_at        INTEGER
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'cloud permission, stored sign-in lockouts, slow-hashed recovery codes',
    sql: `
      -- May use models and routes that run on the owner's ollama.com account (:cloud, web search).
      ALTER TABLE tokens ADD COLUMN cloud INTEGER NOT NULL DEFAULT 0 CHECK (cloud IN (0, 1));

      -- Dashboard sign-in failures per address (IPv6 per /64), kept so a restart does not reset them.
      CREATE TABLE admin_lockouts (
        key          TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL,
        locked_until INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
      ) STRICT;

      -- Recovery codes were 40-bit and hashed with plain SHA-256; they are replaced by longer codes
      -- under scrypt, looked up by a public id. Old codes cannot be re-hashed (only their hashes
      -- exist), so they end here: the dashboard shows none left and offers new ones.
      DROP TABLE recovery_codes;
      CREATE TABLE recovery_codes (
        id      TEXT PRIMARY KEY,
        hash    TEXT NOT NULL,
        used_at INTEGER
      ) STRICT;
    `,
  },
  {
    version: 6,
    name: 'repeated security events as one row with a count',
    sql: `
      -- Repeats of one kind of event from one address within a minute are stored once, counted.
      ALTER TABLE security_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1);
    `,
  },
  {
    version: 7,
    name: 'hourly latency percentiles only in the histograms',
    sql: `
      -- The percentiles are read from the merged histograms (a day's p95 is not an average of
      -- hourly ones); these per-hour copies were written on every batch and never read.
      ALTER TABLE usage_hourly DROP COLUMN duration_p50;
      ALTER TABLE usage_hourly DROP COLUMN duration_p95;
      ALTER TABLE usage_hourly DROP COLUMN ttfb_p50;
      ALTER TABLE usage_hourly DROP COLUMN ttfb_p95;
    `,
  },
  {
    version: 8,
    name: 'fair shares of the GPU and token budgets',
    sql: `
      -- A token's share of Ollama's slots, whether it may wait behind interactive requests, how
      -- many of its requests may wait, and its daily and monthly token budgets (null: none).
      ALTER TABLE tokens ADD COLUMN weight REAL NOT NULL DEFAULT 1 CHECK (weight > 0);
      ALTER TABLE tokens ADD COLUMN priority TEXT NOT NULL DEFAULT 'interactive' CHECK (priority IN ('interactive', 'batch'));
      ALTER TABLE tokens ADD COLUMN queue INTEGER NOT NULL DEFAULT 16 CHECK (queue >= 0);
      ALTER TABLE tokens ADD COLUMN daily_tokens INTEGER CHECK (daily_tokens > 0);
      ALTER TABLE tokens ADD COLUMN monthly_tokens INTEGER CHECK (monthly_tokens > 0);
    `,
  },
  {
    version: 9,
    name: 'ollama public keys of tokens',
    sql: `
      -- The ed25519 keys whose signed requests (the ollama command with OLLAMA_AUTH=1) act as a
      -- token. A key belongs to one token at most; it is kept with a revoked token, for the record.
      CREATE TABLE ollama_keys (
        blob        TEXT PRIMARY KEY,
        token_id    TEXT NOT NULL REFERENCES tokens(id),
        fingerprint TEXT NOT NULL,
        comment     TEXT NOT NULL DEFAULT '',
        added_at    INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX ollama_keys_token ON ollama_keys(token_id);
    `,
  },
  {
    version: 10,
    name: 'web app sign-in permission',
    sql: `
      -- Whether a token may sign in to the web app Gatehouse guards (Open WebUI, say).
      ALTER TABLE tokens ADD COLUMN web INTEGER NOT NULL DEFAULT 0 CHECK (web IN (0, 1));
    `,
  },
  {
    version: 11,
    name: 'several ollama hosts',
    sql: `
      -- Ollama hosts besides the local one (which is the upstream setting). token: the bearer sent
      -- to another Gatehouse, sealed by the OS keystore when there is one; ca_pem: the CA that host's
      -- certificate is checked against (another Gatehouse's local CA).
      CREATE TABLE upstreams (
        name     TEXT PRIMARY KEY,
        url      TEXT NOT NULL UNIQUE,
        slots    INTEGER NOT NULL CHECK (slots BETWEEN 0 AND 256),
        token    TEXT,
        ca_pem   TEXT,
        insecure INTEGER NOT NULL DEFAULT 0 CHECK (insecure IN (0, 1)),
        added_at INTEGER NOT NULL
      ) STRICT;
      -- Which host served each request (NULL: before there were several, or refused before routing).
      ALTER TABLE requests ADD COLUMN upstream TEXT;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
