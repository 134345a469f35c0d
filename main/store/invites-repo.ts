import type { Db } from './database';

export interface InviteRow {
  id: string;
  secretHash: string;
  name: string;
  /** The token policy (JSON of the createToken arguments minus the name). */
  policy: string;
  createdAt: number;
  expiresAt: number;
  redeemedAt: number | null;
  redeemedTokenId: string | null;
  revokedAt: number | null;
}

interface Row {
  id: string;
  secret_hash: string;
  name: string;
  policy: string;
  created_at: number;
  expires_at: number;
  redeemed_at: number | null;
  redeemed_token_id: string | null;
  revoked_at: number | null;
}

const fromRow = (r: Row): InviteRow => ({
  id: r.id, secretHash: r.secret_hash, name: r.name, policy: r.policy, createdAt: r.created_at,
  expiresAt: r.expires_at, redeemedAt: r.redeemed_at, redeemedTokenId: r.redeemed_token_id, revokedAt: r.revoked_at,
});

export class InvitesRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare('INSERT INTO invites (id, secret_hash, name, policy, created_at, expires_at) VALUES (@id, @secretHash, @name, @policy, @createdAt, @expiresAt)'),
      get: db.prepare<[string], Row>('SELECT * FROM invites WHERE id = ?'),
      all: db.prepare<[], Row>('SELECT * FROM invites ORDER BY created_at DESC'),
      // One statement decides who redeems: a second redemption, however close, changes nothing.
      redeem: db.prepare('UPDATE invites SET redeemed_at = ?, redeemed_token_id = ? WHERE id = ? AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > ?'),
      revoke: db.prepare('UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND redeemed_at IS NULL'),
    };
  }

  insert(row: Omit<InviteRow, 'redeemedAt' | 'redeemedTokenId' | 'revokedAt'>): void {
    this.s.insert.run(row);
  }

  get(id: string): InviteRow | undefined {
    const r = this.s.get.get(id);
    return r ? fromRow(r) : undefined;
  }

  all(): InviteRow[] {
    return this.s.all.all().map(fromRow);
  }

  redeem(id: string, tokenId: string, now: number): boolean {
    return this.s.redeem.run(now, tokenId, id, now).changes === 1;
  }

  revoke(id: string, now: number): boolean {
    return this.s.revoke.run(now, id).changes === 1;
  }
}
