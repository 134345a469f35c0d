import type { Db } from './database';
import type { Priority, Scope, TokenPolicy, TokenRecord } from '../../preload/types';
export type { Scope, TokenPolicy, TokenRecord } from '../../preload/types';

export { SCOPES } from '../../preload/rules';

export interface StoredToken extends TokenRecord {
  hash: string;
}

interface Row {
  id: string;
  name: string;
  hash: string;
  hint: string;
  scope: Scope;
  allow_models: string;
  deny_models: string;
  rpm: number | null;
  concurrency: number | null;
  metrics: number;
  cloud: number;
  weight: number;
  priority: Priority;
  queue: number;
  daily_tokens: number | null;
  monthly_tokens: number | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

const fromRow = (r: Row): StoredToken => ({
  id: r.id,
  name: r.name,
  hash: r.hash,
  hint: r.hint,
  scope: r.scope,
  allowModels: JSON.parse(r.allow_models) as string[],
  denyModels: JSON.parse(r.deny_models) as string[],
  rpm: r.rpm,
  concurrency: r.concurrency,
  metrics: r.metrics === 1,
  cloud: r.cloud === 1,
  weight: r.weight,
  priority: r.priority,
  queue: r.queue,
  dailyTokens: r.daily_tokens,
  monthlyTokens: r.monthly_tokens,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

export function withoutHash({ hash: _hash, ...record }: StoredToken): TokenRecord {
  return record;
}

export class TokenRepository {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO tokens (id, name, hash, hint, scope, allow_models, deny_models, rpm, concurrency, metrics, cloud, weight, priority, queue, daily_tokens, monthly_tokens, created_at, expires_at)
         VALUES (@id, @name, @hash, @hint, @scope, @allowModels, @denyModels, @rpm, @concurrency, @metrics, @cloud, @weight, @priority, @queue, @dailyTokens, @monthlyTokens, @createdAt, @expiresAt)`,
      ),
      all: db.prepare<[], Row>('SELECT * FROM tokens ORDER BY created_at, id'),
      byId: db.prepare<[string], Row>('SELECT * FROM tokens WHERE id = ?'),
      activeByName: db.prepare<[string], Row>(
        'SELECT * FROM tokens WHERE name = ? COLLATE NOCASE AND revoked_at IS NULL',
      ),
      revoke: db.prepare<[number, string]>('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      update: db.prepare(
        `UPDATE tokens SET scope = @scope, allow_models = @allowModels, deny_models = @denyModels, rpm = @rpm,
           concurrency = @concurrency, metrics = @metrics, cloud = @cloud, weight = @weight, priority = @priority, queue = @queue,
           daily_tokens = @dailyTokens, monthly_tokens = @monthlyTokens, expires_at = @expiresAt WHERE id = @id`,
      ),
      touch: db.prepare<[number, string]>(
        'UPDATE tokens SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?',
      ),
    };
  }

  insert(token: { id: string; name: string; hash: string; hint: string; createdAt: number } & TokenPolicy): void {
    this.statements.insert.run({
      ...token,
      metrics: token.metrics ? 1 : 0,
      cloud: token.cloud ? 1 : 0,
      allowModels: JSON.stringify(token.allowModels),
      denyModels: JSON.stringify(token.denyModels),
    });
  }

  all(): StoredToken[] {
    return this.statements.all.all().map(fromRow);
  }

  /** By id, or else the active token with that name (names are unique among active tokens). */
  find(idOrName: string): StoredToken | undefined {
    const row = this.statements.byId.get(idOrName) ?? this.statements.activeByName.get(idOrName);
    return row && fromRow(row);
  }

  revoke(id: string, now: number): boolean {
    return this.statements.revoke.run(now, id).changes === 1;
  }

  update(id: string, policy: TokenPolicy): void {
    this.statements.update.run({
      id,
      ...policy,
      metrics: policy.metrics ? 1 : 0,
      cloud: policy.cloud ? 1 : 0,
      allowModels: JSON.stringify(policy.allowModels),
      denyModels: JSON.stringify(policy.denyModels),
    });
  }

  /** Writes a batch of last-use times in one transaction. */
  touchMany(lastUsed: ReadonlyMap<string, number>): void {
    if (lastUsed.size === 0) return;
    this.db.transaction(() => {
      for (const [id, at] of lastUsed) this.statements.touch.run(at, id);
    })();
  }
}
