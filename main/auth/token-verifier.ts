import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { withoutHash, type TokenRecord } from '../store/tokens-repo';
import { hashToken, isWellFormedToken, looksMistyped } from './token-format';

export type Rejection = 'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired';

export type Verification =
  | { ok: true; token: TokenRecord }
  | { ok: false; reason: Rejection; message: string };

/** The credential a client sent: `Authorization: Bearer …` (what OpenAI SDKs send), else `X-Api-Key`. */
export function credentialFrom(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (match) return match[1];
  }
  const key = headers['x-api-key'];
  return typeof key === 'string' && key ? key.trim() : undefined;
}

const CREATE_HINT = 'Create one on the Gatehouse computer with: gatehouse token create --name <name>';

/**
 * Answers "is this token valid right now?" from memory. The cache is rebuilt whenever the store
 * changes (here or in another process), so a revocation takes effect within the store's poll interval.
 * Last-use times are collected here and written in batches, never on the request path.
 */
export class TokenVerifier {
  /** Keyed by the SHA-256 of the secret: finding an entry is the whole check (a hash is not guessable). */
  private byHash = new Map<string, { record: TokenRecord }>();
  private active = 0;
  private readonly lastUsed = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private stuck = false;
  private log: Logger | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {
    this.reload();
    this.unsubscribe = store.onChange(() => this.reload());
  }

  reload(): void {
    const next = new Map<string, { record: TokenRecord }>();
    let active = 0;
    for (const stored of this.store.tokens.all()) {
      next.set(stored.hash, { record: withoutHash(stored) });
      if (stored.revokedAt === null) active++;
    }
    this.byHash = next;
    this.active = active;
  }

  /** Number of tokens that are not revoked (expired ones included). */
  get activeTokens(): number {
    return this.active;
  }

  verify(candidate: string | undefined): Verification {
    if (!candidate) {
      const message =
        this.active === 0
          ? `This Gatehouse has no API tokens yet, so nobody can use it. ${CREATE_HINT}`
          : 'An API token is required. Send it as "Authorization: Bearer <token>" or "X-Api-Key: <token>".';
      return { ok: false, reason: 'missing', message };
    }
    if (!isWellFormedToken(candidate)) {
      const message = looksMistyped(candidate)
        ? 'That API token looks mistyped: its last characters do not match the rest. Check the characters, or copy it again whole.'
        : 'That is not a Gatehouse API token (they start with gth_ and are 53 characters long). Check for a copy-paste mistake.';
      return { ok: false, reason: 'malformed', message };
    }
    const entry = this.byHash.get(hashToken(candidate));
    if (!entry) {
      return { ok: false, reason: 'unknown', message: 'This API token is unknown here: it was revoked and deleted, or belongs to another Gatehouse. Ask the owner of this Gatehouse for a new one.' };
    }
    const { record } = entry;
    if (record.revokedAt !== null) {
      return { ok: false, reason: 'revoked', message: `The API token "${record.name}" was revoked. Ask the owner for a new one.` };
    }
    const now = this.clock();
    if (record.expiresAt !== null && record.expiresAt <= now) {
      return {
        ok: false,
        reason: 'expired',
        message: `The API token "${record.name}" expired on ${new Date(record.expiresAt).toISOString()}. Ask the owner for a new one.`,
      };
    }
    this.lastUsed.set(record.id, now);
    return { ok: true, token: record };
  }

  /**
   * Writes collected last-use times now. Called on a timer and at shutdown. A store that cannot be
   * written (locked by another program, a full disk) keeps them here for the next try: a timer
   * must never throw out of the event loop.
   */
  flushLastUsed(): boolean {
    if (this.lastUsed.size === 0) return true;
    const batch = new Map(this.lastUsed);
    this.lastUsed.clear();
    try {
      this.store.tokens.touchMany(batch);
      if (this.stuck) this.log?.info('Token last-use times are being written again.');
      this.stuck = false;
      return true;
    } catch (err) {
      for (const [id, at] of batch) if ((this.lastUsed.get(id) ?? 0) < at) this.lastUsed.set(id, at);
      if (!this.stuck) this.log?.warn(`Could not write token last-use times (${(err as Error).message}); retrying.`);
      this.stuck = true;
      return false;
    }
  }

  startFlushing(intervalMs = 5000, log?: Logger): void {
    this.log = log;
    this.flushTimer ??= setInterval(() => this.flushLastUsed(), intervalMs);
    this.flushTimer.unref();
  }

  close(): void {
    clearInterval(this.flushTimer);
    this.unsubscribe();
    this.flushLastUsed();
  }
}
