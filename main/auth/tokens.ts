import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { tokenName, tokenPolicyFields } from '../../preload/rules';
import { GatehouseError, parseArgument, UsageError } from '../errors';
import type { Actor } from '../metering/records';
import type { Store } from '../store/store';
import { withoutHash, type TokenPolicy, type TokenRecord } from '../store/tokens-repo';
import { parseOllamaKey, type OllamaKey } from './ollama-keys';
import { hashToken, mintToken, tokenHint } from './token-format';

/** What a new token may be given: the contract's rules (see createInput below). */
export type CreateTokenInput = z.input<typeof createInput>;

export interface CreatedToken {
  record: TokenRecord;
  /** The secret. It exists only here: the store keeps its hash. Show it once. */
  token: string;
}

/** Requests a token may have waiting for a slot, unless set. */
export const DEFAULT_QUEUE = 16;

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
    p.web ? 'web' : '',
    p.weight !== 1 ? `weight=${p.weight}` : '',
    p.priority !== 'interactive' ? `priority=${p.priority}` : '',
    p.queue !== 16 ? `queue=${p.queue}` : '',
    p.dailyTokens ? `daily-tokens=${p.dailyTokens}` : '',
    p.monthlyTokens ? `monthly-tokens=${p.monthlyTokens}` : '',
    p.expiresAt ? `expires=${new Date(p.expiresAt).toISOString()}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** What create() and update() accept: the contract's own rules, so both say the same. */
const createInput = z.object({ name: tokenName, ...tokenPolicyFields, expiresAt: z.number().nullable().optional(), ollamaKeys: z.array(z.string().max(500)).max(10).optional() });
const policyChanges = createInput.omit({ name: true, ollamaKeys: true }).partial();

function checkExpiry(value: number | null | undefined, now: number): number | null {
  if (value === null || value === undefined) return null;
  if (Number.isFinite(value) && value > now) return value;
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
    const { name, ollamaKeys = [], ...given } = parseArgument(createInput, input);
    const keys = ollamaKeys.map(parseOllamaKey);
    const defaults = this.store.settings.load().settings;
    const policy: TokenPolicy = {
      scope: given.scope ?? 'inference',
      allowModels: given.allowModels ?? [],
      denyModels: given.denyModels ?? [],
      rpm: given.rpm === undefined ? defaults.defaultRpm || null : given.rpm,
      concurrency: given.concurrency === undefined ? defaults.defaultConcurrency || null : given.concurrency,
      metrics: given.metrics === true,
      cloud: given.cloud === true,
      web: given.web === true,
      weight: given.weight ?? 1,
      priority: given.priority ?? 'interactive',
      queue: given.queue ?? DEFAULT_QUEUE,
      dailyTokens: given.dailyTokens ?? null,
      monthlyTokens: given.monthlyTokens ?? null,
      expiresAt: checkExpiry(given.expiresAt, now),
    };
    if (this.store.tokens.find(name)?.revokedAt === null) {
      throw new UsageError(`A token named "${name}" already exists.`, 'Pick another name, or revoke the old token first.');
    }
    const token = mintToken();
    const id = `tk_${randomBytes(6).toString('hex')}`;
    const keyNote = keys.map((k) => ` ollama-key=${k.fingerprint}`).join('');
    this.store.audited({ at: now, actor, action: 'token.created', target: name, detail: describePolicy(policy) + keyNote }, () => {
      this.store.tokens.insert({ id, name, hash: hashToken(token), hint: tokenHint(token), createdAt: now, ...policy });
      for (const key of keys) this.enrol(id, key, now);
    });
    return { record: this.get(id), token };
  }

  /** A key may act for one active token only; one kept from a revoked token moves. */
  private enrol(tokenId: string, key: OllamaKey, now: number): void {
    const owner = this.store.tokens.ollamaKey(key.blob);
    if (owner?.tokenId === tokenId) return;
    const holder = owner && this.store.tokens.find(owner.tokenId);
    if (holder && holder.revokedAt === null) {
      throw new UsageError(`That ollama key (${key.fingerprint}) already belongs to the token "${holder.name}".`, `Remove it there first: gatehouse token update ${holder.name} --no-ollama-key`);
    }
    this.store.tokens.putOllamaKey({ ...key, tokenId, addedAt: now });
  }

  /** Adds an ollama public key (the line of ~/.ollama/id_ed25519.pub) to a token, or removes them all. */
  changeOllamaKeys(idOrName: string, change: { add?: string; removeAll?: boolean }, actor: Actor = this.actor): TokenRecord {
    const current = this.get(idOrName);
    if (current.revokedAt !== null) throw new UsageError(`The token "${current.name}" is revoked and cannot be changed.`);
    const key = change.add === undefined ? undefined : parseOllamaKey(change.add);
    const now = this.clock();
    if (change.removeAll) {
      this.store.audited({ at: now, actor, action: 'token.ollama_keys_removed', target: current.name, detail: current.ollamaKeys.map((k) => k.fingerprint).join(' ') || 'none' }, () => this.store.tokens.removeOllamaKeys(current.id));
    }
    if (key) {
      this.store.audited({ at: now, actor, action: 'token.ollama_key_added', target: current.name, detail: `${key.fingerprint} ${key.comment}`.trim() }, () => this.enrol(current.id, key, now));
    }
    return this.get(current.id);
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
    const given = parseArgument(policyChanges, changes);
    const has = (k: keyof TokenPolicy) => Object.hasOwn(given, k);
    const policy: TokenPolicy = {
      scope: given.scope ?? current.scope,
      allowModels: given.allowModels ?? current.allowModels,
      denyModels: given.denyModels ?? current.denyModels,
      rpm: has('rpm') ? (given.rpm ?? null) : current.rpm,
      concurrency: has('concurrency') ? (given.concurrency ?? null) : current.concurrency,
      metrics: has('metrics') ? given.metrics === true : current.metrics,
      cloud: has('cloud') ? given.cloud === true : current.cloud,
      web: has('web') ? given.web === true : current.web,
      weight: given.weight ?? current.weight,
      priority: given.priority ?? current.priority,
      queue: given.queue ?? current.queue,
      dailyTokens: has('dailyTokens') ? (given.dailyTokens ?? null) : current.dailyTokens,
      monthlyTokens: has('monthlyTokens') ? (given.monthlyTokens ?? null) : current.monthlyTokens,
      expiresAt: has('expiresAt') ? checkExpiry(given.expiresAt, this.clock()) : current.expiresAt,
    };
    this.store.audited({ actor, action: 'token.updated', target: current.name, detail: describePolicy(policy) }, () =>
      this.store.tokens.update(current.id, policy),
    );
    return this.get(current.id);
  }
}
