import { randomBytes } from 'node:crypto';
import { sha256Hex } from './digest';
import { join } from 'node:path';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { GatehouseError } from '../errors';
import type { Store } from '../store/store';
import { readSecret, writeSecret, type SecretVault } from '../tls/files';

export interface SessionPolicy {
  /** A session nobody used for this long ends. */
  idleMs: number;
  /** And every session ends after this long, used or not. */
  absoluteMs: number;
  /** Lifetime of one cookie; a request with an older-than-`rotateAfterMs` cookie gets a fresh one. */
  cookieTtlMs: number;
  rotateAfterMs: number;
  /** How long a one-time sign-in link may wait to be opened. */
  linkTtlMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 3_600_000,
  cookieTtlMs: 15 * 60_000,
  rotateAfterMs: 5 * 60_000,
  linkTtlMs: 15 * 60_000,
};

export interface SignedIn {
  sessionId: string;
  /** The value the X-Gatehouse-CSRF header must carry on every state-changing request. */
  csrf: string;
  /** The cookie value to set: a new one after sign-in, or a rotated one; absent when the current one is fresh. */
  cookie?: string;
}

const ISSUER = 'gatehouse';
const AUDIENCE = 'gatehouse-admin';

const invalid = (why: string) =>
  new GatehouseError('SESSION_INVALID', why, 'Open a new sign-in link: gatehouse admin link (it is also printed by gatehouse serve).');

/**
 * Dashboard sign-in: one-time links (like Jupyter's) exchanged for a session. The session lives in
 * the store (so it can be listed and revoked, and idles out); the cookie is a short-lived HS256
 * JWT naming it, re-issued as it ages.
 */
export class AdminSessions {
  constructor(
    private readonly store: Store,
    private readonly key: Uint8Array,
    /** Read on every use, so a change of the session settings applies to the next request. */
    private readonly policyOf: () => SessionPolicy = () => DEFAULT_SESSION_POLICY,
    private readonly clock: () => number = Date.now,
  ) {}

  private get policy(): SessionPolicy {
    return this.policyOf();
  }

  /** The signing key, made on first use and kept in the data folder (0600). */
  static loadKey(dataDir: string, vault?: SecretVault): Uint8Array {
    const file = join(dataDir, 'admin-session.key');
    const existing = readSecret(file, vault)?.trim();
    if (existing && /^[0-9a-f]{64}$/.test(existing)) return Buffer.from(existing, 'hex');
    const key = randomBytes(32);
    writeSecret(file, key.toString('hex'), vault);
    return key;
  }

  /** A one-time sign-in code; only its hash is stored. Works from any process sharing the store. */
  static createLink(store: Store, policy: SessionPolicy = DEFAULT_SESSION_POLICY, now = Date.now()): { code: string; expiresAt: number } {
    const code = randomBytes(32).toString('base64url');
    const expiresAt = now + policy.linkTtlMs;
    store.admin.prune(now);
    store.audited({ at: now, actor: 'cli', action: 'admin.link_created', detail: `expires ${new Date(expiresAt).toISOString()}` }, () =>
      store.admin.insertLink(sha256Hex(code), now, expiresAt),
    );
    return { code, expiresAt };
  }

  /** Exchanges a sign-in code for a session. A code works once, and only before it expires. */
  redeem(code: unknown, client: { ip: string; userAgent: string }): Promise<SignedIn & { cookie: string }> {
    const now = this.clock();
    if (typeof code !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(code) || !this.store.admin.useLink(sha256Hex(code), now)) {
      throw new GatehouseError('LINK_INVALID', 'This sign-in link was already used, has expired, or is not one of ours.', 'Get a new one with: gatehouse admin link');
    }
    return this.open(client, 'window', 'one-time link');
  }

  /** A session after a remote sign-in (password + second factor, checked by the caller). */
  open(client: { ip: string; userAgent: string }, actor: 'window' | 'remote-admin', how: string): Promise<SignedIn & { cookie: string }> {
    const now = this.clock();
    const id = `as_${randomBytes(12).toString('hex')}`;
    const csrf = randomBytes(24).toString('base64url');
    this.store.audited({ at: now, actor, action: 'admin.signed_in', target: id, detail: `from ${client.ip} with ${how}` }, () =>
      this.store.admin.insertSession({ id, createdAt: now, lastSeenAt: now, expiresAt: now + this.policy.absoluteMs, ip: client.ip, userAgent: client.userAgent.slice(0, 300) }),
    );
    return this.sign(id, csrf, now).then((cookie) => ({ sessionId: id, csrf, cookie }));
  }

  /** Checks a session cookie: signature, expiry, and that the session is still open and not idle. */
  async verify(cookie: string | undefined): Promise<SignedIn> {
    if (!cookie) throw invalid('You are not signed in.');
    const now = this.clock();
    let claims: { sid?: unknown; csrf?: unknown; iat?: number };
    try {
      ({ payload: claims } = await jwtVerify(cookie, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], currentDate: new Date(now) }));
    } catch (err) {
      throw invalid(err instanceof joseErrors.JWTExpired ? 'Your session has expired.' : 'Your session is not valid.');
    }
    if (typeof claims.sid !== 'string' || typeof claims.csrf !== 'string') throw invalid('Your session is not valid.');
    const session = this.store.admin.session(claims.sid);
    if (!session || session.revokedAt !== null) throw invalid('Your session was ended.');
    if (now >= session.expiresAt || now - session.lastSeenAt > this.policy.idleMs) throw invalid('Your session has expired.');
    // Writing last-seen on every request would put the disk on the hot path; once a minute is enough.
    if (now - session.lastSeenAt > 60_000) {
      try {
        this.store.admin.touch(session.id, now);
      } catch {
        // A locked store: the session stays valid; last-seen is written on a later request.
      }
    }
    const age = now - (claims.iat ?? 0) * 1000;
    const signedIn: SignedIn = { sessionId: session.id, csrf: claims.csrf };
    if (age > this.policy.rotateAfterMs) signedIn.cookie = await this.sign(session.id, claims.csrf, now);
    return signedIn;
  }

  signOut(sessionId: string): void {
    const now = this.clock();
    this.store.audited({ at: now, actor: 'window', action: 'admin.signed_out', target: sessionId }, () => this.store.admin.revoke(sessionId, now));
  }

  private sign(sessionId: string, csrf: string, now: number): Promise<string> {
    const iat = Math.floor(now / 1000);
    return new SignJWT({ sid: sessionId, csrf })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setJti(randomBytes(9).toString('base64url'))
      .setExpirationTime(iat + Math.floor(this.policy.cookieTtlMs / 1000))
      .sign(this.key);
  }
}
