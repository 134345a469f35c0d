import type { Db } from './database';
import type { OllamaKeyView, Priority, Scope, TokenPolicy, TokenRecord } from '../../preload/types';
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
  web: number;
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

interface KeyRow {
  blob: string;
  token_id: string;
  fingerprint: string;
  comment: string;
  added_at: number;
}

/** An enrolled ollama key with the token it belongs to. */
export interface StoredOllamaKey extends OllamaKeyView {
  blob: string;
  tokenId: string;
}

const keyFromRow = (k: KeyRow): StoredOllamaKey => ({ blob: k.blob, tokenId: k.token_id, fingerprint: k.fingerprint, comment: k.comment, addedAt: k.added_at });
const keyView = ({ fingerprint, comment, addedAt }: StoredOllamaKey): OllamaKeyView => ({ fingerprint, comment, addedAt });

const fromRow = (r: Row, keys: StoredOllamaKey[] = []): StoredToken => ({
  id: r.id,
  name: r.name,
  hash: r.hash,
  hint: r.hint,
  ollamaKeys: keys.map(keyView),
  scope: r.scope,
  allowModels: JSON.parse(r.allow_models) as string[],
  denyModels: JSON.parse(r.deny_models) as string[],
  rpm: r.rpm,
  concurrency: r.concurrency,
  metrics: r.metrics === 1,
  cloud: r.cloud === 1,
  web: r.web === 1,
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
        `INSERT INTO tokens (id, name, hash, hint, scope, allow_models, deny_models, rpm, concurrency, metrics, cloud, web, weight, priority, queue, daily_tokens, monthly_tokens, created_at, expires_at)
         VALUES (@id, @name, @hash, @hint, @scope, @allowModels, @denyModels, @rpm, @concurrency, @metrics, @cloud, @web, @weight, @priority, @queue, @dailyTokens, @monthlyTokens, @createdAt, @expiresAt)`,
      ),
      all: db.prepare<[], Row>('SELECT * FROM tokens ORDER BY created_at, id'),
      byId: db.prepare<[string], Row>('SELECT * FROM tokens WHERE id = ?'),
      activeByName: db.prepare<[string], Row>(
        'SELECT * FROM tokens WHERE name = ? COLLATE NOCASE AND revoked_at IS NULL',
      ),
      revoke: db.prepare<[number, string]>('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      update: db.prepare(
        `UPDATE tokens SET scope = @scope, allow_models = @allowModels, deny_models = @denyModels, rpm = @rpm,
           concurrency = @concurrency, metrics = @metrics, cloud = @cloud, web = @web, weight = @weight, priority = @priority, queue = @queue,
           daily_tokens = @dailyTokens, monthly_tokens = @monthlyTokens, expires_at = @expiresAt WHERE id = @id`,
      ),
      keys: db.prepare<[], KeyRow>('SELECT * FROM ollama_keys ORDER BY added_at, blob'),
      keysOf: db.prepare<[string], KeyRow>('SELECT * FROM ollama_keys WHERE token_id = ? ORDER BY added_at, blob'),
      key: db.prepare<[string], KeyRow>('SELECT * FROM ollama_keys WHERE blob = ?'),
      putKey: db.prepare('INSERT OR REPLACE INTO ollama_keys (blob, token_id, fingerprint, comment, added_at) VALUES (@blob, @tokenId, @fingerprint, @comment, @addedAt)'),
      dropKeys: db.prepare<[string]>('DELETE FROM ollama_keys WHERE token_id = ?'),
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
      web: token.web ? 1 : 0,
      allowModels: JSON.stringify(token.allowModels),
      denyModels: JSON.stringify(token.denyModels),
    });
  }

  all(): StoredToken[] {
    const keys = new Map<string, StoredOllamaKey[]>();
    for (const key of this.ollamaKeys()) keys.set(key.tokenId, [...(keys.get(key.tokenId) ?? []), key]);
    return this.statements.all.all().map((r) => fromRow(r, keys.get(r.id)));
  }

  /** By id, or else the active token with that name (names are unique among active tokens). */
  find(idOrName: string): StoredToken | undefined {
    const row = this.statements.byId.get(idOrName) ?? this.statements.activeByName.get(idOrName);
    return row && fromRow(row, this.statements.keysOf.all(row.id).map(keyFromRow));
  }

  /** Every enrolled ollama key, with its token's id. */
  ollamaKeys(): StoredOllamaKey[] {
    return this.statements.keys.all().map(keyFromRow);
  }

  ollamaKey(blob: string): StoredOllamaKey | undefined {
    const row = this.statements.key.get(blob);
    return row && keyFromRow(row);
  }

  /** Enrols a key with a token; a key kept from a revoked token moves to this one. */
  putOllamaKey(key: StoredOllamaKey): void {
    this.statements.putKey.run(key);
  }

  removeOllamaKeys(tokenId: string): number {
    return this.statements.dropKeys.run(tokenId).changes;
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
      web: policy.web ? 1 : 0,
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
