import type { Db } from './database';
import type { AdminSession } from '../../preload/types';
export type { AdminSession } from '../../preload/types';

interface SessionRow {
  id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
  ip: string;
  user_agent: string;
}

const fromRow = (r: SessionRow): AdminSession => ({
  id: r.id,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  ip: r.ip,
  userAgent: r.user_agent,
});

/** One-time sign-in links (hashed) and dashboard sessions. */
export class AdminRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insertLink: db.prepare('INSERT INTO admin_links (hash, created_at, expires_at) VALUES (?, ?, ?)'),
      // One statement decides: a link is used at most once, even with two redemptions racing.
      useLink: db.prepare('UPDATE admin_links SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?'),
      pruneLinks: db.prepare('DELETE FROM admin_links WHERE expires_at < ?'),
      insertSession: db.prepare(
        'INSERT INTO admin_sessions (id, created_at, last_seen_at, expires_at, ip, user_agent) VALUES (@id, @createdAt, @lastSeenAt, @expiresAt, @ip, @userAgent)',
      ),
      session: db.prepare<[string], SessionRow>('SELECT * FROM admin_sessions WHERE id = ?'),
      sessions: db.prepare<[number], SessionRow>('SELECT * FROM admin_sessions WHERE revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC'),
      touch: db.prepare('UPDATE admin_sessions SET last_seen_at = ? WHERE id = ?'),
      revoke: db.prepare('UPDATE admin_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      revokeAll: db.prepare('UPDATE admin_sessions SET revoked_at = ? WHERE revoked_at IS NULL'),
      pruneSessions: db.prepare('DELETE FROM admin_sessions WHERE expires_at < ?'),
    };
  }

  insertLink(hash: string, createdAt: number, expiresAt: number): void {
    this.s.insertLink.run(hash, createdAt, expiresAt);
  }

  /** Marks the link used; false when it is unknown, used or expired. */
  useLink(hash: string, now: number): boolean {
    return this.s.useLink.run(now, hash, now).changes === 1;
  }

  insertSession(session: Omit<AdminSession, 'revokedAt'>): void {
    this.s.insertSession.run(session);
  }

  session(id: string): AdminSession | undefined {
    const row = this.s.session.get(id);
    return row ? fromRow(row) : undefined;
  }

  activeSessions(now: number): AdminSession[] {
    return this.s.sessions.all(now).map(fromRow);
  }

  touch(id: string, now: number): void {
    this.s.touch.run(now, id);
  }

  revoke(id: string, now: number): boolean {
    return this.s.revoke.run(now, id).changes === 1;
  }

  revokeAll(now: number): number {
    return this.s.revokeAll.run(now).changes;
  }

  /** Forgets links and sessions that ended more than a day ago. */
  prune(now: number): void {
    this.s.pruneLinks.run(now - 86_400_000);
    this.s.pruneSessions.run(now - 86_400_000);
  }
}
