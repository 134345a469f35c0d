import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { GatehouseError } from '../../main/errors';
import { openDatabase } from '../../main/store/database';
import { MIGRATIONS, SCHEMA_VERSION } from '../../main/store/migrations';
import { Store } from '../../main/store/store';
import { tempDir } from '../helpers';
import { storeRequests } from '../../main/metering/hourly';

describe('the store', () => {
  it('creates a WAL database with foreign keys at the latest schema', () => {
    const db = openDatabase(join(tempDir(), 'g.db'));
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    db.close();
  });

  for (const from of [0, ...MIGRATIONS.slice(0, -1).map((m) => m.version)]) {
    it(`migrates from schema ${from} to ${SCHEMA_VERSION}, keeping existing rows`, () => {
      const file = join(tempDir(), 'g.db');
      const older = openDatabase(file, { migrations: MIGRATIONS.filter((m) => m.version <= from) });
      if (from >= 1) older.prepare("INSERT INTO settings VALUES ('paused', 'true', 1)").run();
      older.close();
      const db = openDatabase(file);
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      if (from >= 1) assert.equal(db.prepare("SELECT value FROM settings WHERE key = 'paused'").pluck().get(), 'true');
      db.close();
    });
  }

  it('rolls a failing migration back whole, leaving the previous version', () => {
    const file = join(tempDir(), 'g.db');
    const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'broken', sql: 'CREATE TABLE half (x); SELECT nope FROM missing;' }];
    assert.throws(() => openDatabase(file, { migrations: broken }));
    const db = new Database(file);
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get(), 0);
    db.close();
  });

  it('refuses a database written by a newer Gatehouse and leaves it untouched', () => {
    const file = join(tempDir(), 'g.db');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    const before = statSync(file).mtimeMs;
    assert.throws(() => openDatabase(file), (err: unknown) => err instanceof GatehouseError && err.code === 'DB_TOO_NEW' && /newer version/.test(err.message));
    assert.equal(statSync(file).mtimeMs, before);
  });

  it('refuses a damaged database with a message saying so, never resetting it', () => {
    const file = join(tempDir(), 'g.db');
    const garbage = Buffer.alloc(8192, 0x5a);
    writeFileSync(file, garbage);
    assert.throws(() => openDatabase(file), (err: unknown) => err instanceof GatehouseError && err.code === 'DB_CORRUPT' && /damaged/.test(err.message));
    assert.deepEqual(readFileSync(file), garbage);
  });

  it('keeps its folder and database private to this user', { skip: process.platform === 'win32' }, () => {
    const dir = join(tempDir(), 'data');
    Store.open(dir).close();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'gatehouse.db')).mode & 0o777, 0o600);
  });

  it('notices another connection\'s commit through data_version', async () => {
    const dir = tempDir();
    const store = Store.open(dir);
    const other = Store.open(dir);
    let changes = 0;
    store.onChange(() => changes++);
    store.watch(20);
    other.settings.set('paused', true);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(changes, 1);
    store.close();
    other.close();
  });

  it('falls back to the default for a stored setting that no longer validates, and says so', () => {
    const store = Store.open(tempDir());
    store.db.prepare("INSERT INTO settings VALUES ('port', '\"banana\"', 1)").run();
    const { settings, problems } = store.settings.load();
    assert.equal(settings.port, 11443);
    assert.match(problems[0] ?? '', /port/);
    store.close();
  });
});

describe('metering retention', () => {
  it('prunes request rows, hourly totals and security events past their retention, keeping the audit log', () => {
    const store = Store.open(tempDir());
    const day = 86_400_000;
    const now = Date.UTC(2026, 10, 22);
    const row = (at: number) => ({
      at, tokenId: 't', tokenName: 't', model: 'm:latest', route: 'POST /api/chat', status: 200, durationMs: 1, ttfbMs: 1,
      promptTokens: 1, completionTokens: 1, streamed: false, aborted: false, error: null, ip: '127.0.0.1', bytesIn: 1, bytesOut: 1, overheadMs: 0,
    });
    storeRequests(store.metering, [row(now - 31 * day), row(now - 29 * day), row(now - 401 * day)]);
    store.metering.insertSecurityEvents([
      { at: now - 91 * day, kind: 'auth_failed', ip: '1.2.3.4', detail: 'old' },
      { at: now - day, kind: 'auth_failed', ip: '1.2.3.4', detail: 'new' },
    ]);
    store.metering.audit({ at: now - 1000 * day, actor: 'cli', action: 'token.created' });
    const removed = store.metering.prune(now, { requestDays: 30, aggregateDays: 400, securityDays: 90 });
    assert.deepEqual(removed, { requests: 2, aggregates: 1, security: 1 });
    assert.deepEqual(store.metering.requestsSince(0).map((r) => r.at), [now - 29 * day]);
    assert.equal(store.metering.hourlySince(0).length, 2);
    assert.deepEqual(store.metering.securitySince(0).map((e) => e.detail), ['new']);
    assert.equal(store.metering.auditSince(0).length, 1);
    store.close();
  });
});
