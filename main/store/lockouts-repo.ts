import type { Db } from './database';

export interface LockoutRow {
  key: string;
  failures: number;
  lockedUntil: number;
}

/** Dashboard sign-in failures per address, so that a restart does not wipe a lockout. */
export class LockoutsRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      all: db.prepare<[], { key: string; failures: number; locked_until: number }>('SELECT key, failures, locked_until FROM admin_lockouts ORDER BY updated_at LIMIT 10000'),
      upsert: db.prepare<[string, number, number, number]>(
        `INSERT INTO admin_lockouts (key, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
      ),
      remove: db.prepare<[string]>('DELETE FROM admin_lockouts WHERE key = ?'),
    };
  }

  all(): LockoutRow[] {
    return this.s.all.all().map((r) => ({ key: r.key, failures: r.failures, lockedUntil: r.locked_until }));
  }

  save(row: LockoutRow, at: number): void {
    this.s.upsert.run(row.key, row.failures, row.lockedUntil, at);
  }

  remove(key: string): void {
    this.s.remove.run(key);
  }
}
