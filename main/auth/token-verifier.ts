import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { withoutHash, type TokenRecord } from '../store/tokens-repo';
import { keyFingerprint, SignatureChecker, type SignedCredential, type SignedTarget } from './ollama-keys';
import { hashToken, isWellFormedToken, looksMistyped } from './token-format';

export type Rejection = 'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired' | 'stale' | 'bad_signature';

export type Verification =
  | { ok: true; token: TokenRecord }
  | { ok: false; reason: Rejection; message: string; token?: TokenRecord };

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
  /** Enrolled ollama keys (base64 wire format) and the token each acts as. */
  private byKey = new Map<string, TokenRecord>();
  private byId = new Map<string, TokenRecord>();
  private readonly signatures = new SignatureChecker();
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
    const byId = new Map<string, TokenRecord>();
    let active = 0;
    for (const stored of this.store.tokens.all()) {
      const record = withoutHash(stored);
      next.set(stored.hash, { record });
      byId.set(record.id, record);
      if (stored.revokedAt === null) active++;
    }
    const byKey = new Map<string, TokenRecord>();
    for (const key of this.store.tokens.ollamaKeys()) {
      const record = byId.get(key.tokenId);
      if (record) byKey.set(key.blob, record);
    }
    this.byHash = next;
    this.byKey = byKey;
    this.byId = byId;
    this.active = active;
  }

  /** A token as the cache has it now (revoked and expired ones included). */
  token(id: string): TokenRecord | undefined {
    return this.byId.get(id);
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
    return this.usable(entry.record);
  }

  /**
   * A request signed by the ollama command: the key must be enrolled with a usable token and the
   * signature must cover this method, path and time. Ed25519 signatures are deterministic, so two
   * identical requests in one second carry one header; that is not a replay (TLS hides the header).
   */
  verifySigned(credential: SignedCredential, target: SignedTarget): Verification {
    const fingerprint = keyFingerprint(credential.blob);
    const record = this.byKey.get(credential.blob);
    if (!record) {
      const message = `This ollama key (${fingerprint}) is not enrolled with any token here. Send the line of ~/.ollama/id_ed25519.pub to the owner of this Gatehouse, who adds it with: gatehouse token update <your token> --ollama-key "<that line>"`;
      return { ok: false, reason: 'unknown', message };
    }
    if (!target.ok) return { ok: false, reason: target.problem, message: target.message, token: record };
    if (!this.signatures.verify(credential, target.challenges)) {
      return { ok: false, reason: 'bad_signature', message: `The request's signature does not match its method, path and time for the ollama key ${fingerprint}. Use the ollama command itself (OLLAMA_AUTH=1), unchanged.`, token: record };
    }
    return this.usable(record, ` (signed with the ollama key ${fingerprint})`);
  }

  private usable(record: TokenRecord, via = ''): Verification {
    if (record.revokedAt !== null) {
      return { ok: false, reason: 'revoked', message: `The API token "${record.name}"${via} was revoked. Ask the owner for a new one.`, token: record };
    }
    const now = this.clock();
    if (record.expiresAt !== null && record.expiresAt <= now) {
      return {
        ok: false,
        reason: 'expired',
        message: `The API token "${record.name}"${via} expired on ${new Date(record.expiresAt).toISOString()}. Ask the owner for a new one.`,
        token: record,
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
