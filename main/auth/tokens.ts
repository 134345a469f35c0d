import { randomBytes } from 'node:crypto';
import { GatehouseError, UsageError } from '../errors';
import type { Actor } from '../metering/records';
import type { Store } from '../store/store';
import {
  SCOPES,
  withoutHash,
  type Scope,
  type TokenPolicy,
  type TokenRecord,
} from '../store/tokens-repo';
import { hashToken, mintToken, tokenHint } from './token-format';

export interface CreateTokenInput {
  name: string;
  scope?: Scope;
  allowModels?: string[];
  denyModels?: string[];
  rpm?: number | null;
  concurrency?: number | null;
  metrics?: boolean;
  cloud?: boolean;
  expiresAt?: number | null;
}

export interface CreatedToken {
  record: TokenRecord;
  /** The secret. It exists only here: the store keeps its hash. Show it once. */
  token: string;
}

const MAX_PATTERNS = 100;
const MAX_WILDCARDS = 3;

/** The policy in a line for the audit log. */
function describePolicy(p: TokenPolicy): string {
  return [
    `scope=${p.scope}`,
    p.allowModels.length ? `models=${p.allowModels.join(',')}` : '',
    p.denyModels.length ? `deny=${p.denyModels.join(',')}` : '',
    p.rpm ? `rpm=${p.rpm}` : '',
    p.concurrency ? `concurrency=${p.concurrency}` : '',
    p.metrics ? 'metrics' : '',
    p.cloud ? 'cloud' : '',
    p.expiresAt ? `expires=${new Date(p.expiresAt).toISOString()}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export function validateName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  // eslint-disable-next-line no-control-regex
  if (!trimmed || trimmed.length > 64 || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new UsageError('A token name must be 1 to 64 printable characters, for example "alice-laptop".');
  }
  return trimmed;
}

export function validateScope(scope: unknown): Scope {
  if (SCOPES.includes(scope as Scope)) return scope as Scope;
  throw new UsageError(`The scope must be one of ${SCOPES.join(', ')}, not ${JSON.stringify(scope)}.`);
}

export function validatePatterns(patterns: unknown, what: string): string[] {
  if (!Array.isArray(patterns)) throw new UsageError(`${what} must be a list of model names or patterns.`);
  if (patterns.length > MAX_PATTERNS) throw new UsageError(`${what} may hold at most ${MAX_PATTERNS} patterns.`);
  return patterns.map((p) => {
    const text = typeof p === 'string' ? p.trim() : '';
    if (!text || text.length > 200 || /\s/.test(text)) {
      throw new UsageError(`${what}: ${JSON.stringify(p)} is not a model name or pattern (such as llama3.2 or qwen*).`);
    }
    // Each further * multiplies the work of matching a long name; three cover every real need.
    if ((text.match(/\*/g)?.length ?? 0) > MAX_WILDCARDS) {
      throw new UsageError(`${what}: ${JSON.stringify(p)} has more than ${MAX_WILDCARDS} "*" wildcards.`, 'Use fewer, such as qwen*:*b or *-instruct*.');
    }
    return text;
  });
}

export function validateLimit(value: unknown, what: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 1_000_000) return value;
  throw new UsageError(`${what} must be a whole number above 0, not ${JSON.stringify(value)}.`);
}

function validateExpiry(value: unknown, now: number): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && Number.isFinite(value) && value > now) return value;
  throw new UsageError('The expiry must be in the future.');
}

/** Creating, listing, changing and revoking API tokens. Every write is audited and tells the caches. */
export class TokenService {
  private readonly actor: Actor;
  private readonly clock: () => number;

  constructor(
    private readonly store: Store,
    options: { actor?: Actor; clock?: () => number } = {},
  ) {
    this.actor = options.actor ?? 'system';
    this.clock = options.clock ?? Date.now;
  }

  create(input: CreateTokenInput, actor: Actor = this.actor): CreatedToken {
    const now = this.clock();
    const name = validateName(input.name);
    const defaults = this.store.settings.load().settings;
    const policy: TokenPolicy = {
      scope: validateScope(input.scope ?? 'inference'),
      allowModels: validatePatterns(input.allowModels ?? [], 'Allowed models'),
      denyModels: validatePatterns(input.denyModels ?? [], 'Denied models'),
      rpm: validateLimit(input.rpm === undefined ? defaults.defaultRpm || null : input.rpm, 'Requests per minute'),
      concurrency: validateLimit(input.concurrency === undefined ? defaults.defaultConcurrency || null : input.concurrency, 'Concurrency'),
      metrics: input.metrics === true,
      cloud: input.cloud === true,
      expiresAt: validateExpiry(input.expiresAt, now),
    };
    if (this.store.tokens.find(name)?.revokedAt === null) {
      throw new UsageError(`A token named "${name}" already exists.`, 'Pick another name, or revoke the old token first.');
    }
    const token = mintToken();
    const id = `tk_${randomBytes(6).toString('hex')}`;
    this.store.audited({ at: now, actor, action: 'token.created', target: name, detail: describePolicy(policy) }, () =>
      this.store.tokens.insert({ id, name, hash: hashToken(token), hint: tokenHint(token), createdAt: now, ...policy }),
    );
    return { record: this.get(id), token };
  }

  list(): TokenRecord[] {
    return this.store.tokens.all().map(withoutHash);
  }

  get(idOrName: string): TokenRecord {
    const found = this.store.tokens.find(idOrName);
    if (!found) {
      throw new GatehouseError('TOKEN_NOT_FOUND', `No token has the id or name "${idOrName}".`, 'List them with: gatehouse token list');
    }
    return withoutHash(found);
  }

  revoke(idOrName: string, actor: Actor = this.actor): TokenRecord {
    const token = this.get(idOrName);
    if (token.revokedAt !== null) return token;
    this.store.audited({ actor, action: 'token.revoked', target: token.name }, () => this.store.tokens.revoke(token.id, this.clock()));
    return this.get(token.id);
  }

  /** Changes a token's policy; unspecified fields keep their values. */
  update(idOrName: string, changes: Partial<TokenPolicy>, actor: Actor = this.actor): TokenRecord {
    const current = this.get(idOrName);
    if (current.revokedAt !== null) throw new UsageError(`The token "${current.name}" is revoked and cannot be changed.`);
    const has = (k: keyof TokenPolicy) => Object.hasOwn(changes, k);
    const policy: TokenPolicy = {
      scope: has('scope') ? validateScope(changes.scope) : current.scope,
      allowModels: has('allowModels') ? validatePatterns(changes.allowModels, 'Allowed models') : current.allowModels,
      denyModels: has('denyModels') ? validatePatterns(changes.denyModels, 'Denied models') : current.denyModels,
      rpm: has('rpm') ? validateLimit(changes.rpm, 'Requests per minute') : current.rpm,
      concurrency: has('concurrency') ? validateLimit(changes.concurrency, 'Concurrency') : current.concurrency,
      metrics: has('metrics') ? changes.metrics === true : current.metrics,
      cloud: has('cloud') ? changes.cloud === true : current.cloud,
      expiresAt: has('expiresAt') ? validateExpiry(changes.expiresAt, this.clock()) : current.expiresAt,
    };
    this.store.audited({ actor, action: 'token.updated', target: current.name, detail: describePolicy(policy) }, () =>
      this.store.tokens.update(current.id, policy),
    );
    return this.get(current.id);
  }
}
