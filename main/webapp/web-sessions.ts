import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { jwtVerify, SignJWT } from 'jose';
import type { TokenRecord } from '../store/tokens-repo';

export const WEB_COOKIE = '__Host-gatehouse-web';
const ISSUER = 'gatehouse';
const AUDIENCE = 'gatehouse-webapp';
/** Sessions kept at most; sign-ins beyond it end the oldest first. */
const MAX_SESSIONS = 10_000;

export interface WebSessionPolicy {
  idleMs: number;
  absoluteMs: number;
  /** A cookie older than this is replaced by a fresh one on the next request. */
  rotateMs: number;
}

export const DEFAULT_WEB_POLICY: WebSessionPolicy = { idleMs: 12 * 3_600_000, absoluteMs: 7 * 86_400_000, rotateMs: 3_600_000 };

interface Session {
  tokenId: string;
  createdAt: number;
  lastSeenAt: number;
}

/** Why a token may not sign in (or stay signed in) to the web app, or null when it may. */
export function webRefusal(token: TokenRecord | undefined, now: number): string | null {
  if (!token || token.revokedAt !== null) return 'This token was revoked.';
  if (token.expiresAt !== null && token.expiresAt <= now) return 'This token has expired.';
  if (!token.web) return `The token "${token.name}" may not open the web app. Ask the owner to allow it: gatehouse token update ${token.name} --web`;
  return null;
}

/**
 * Web app sessions: a signed cookie (HS256, jose) naming a session id and a token, a table of open
 * sessions for idle expiry, and the WebSockets each token has open, so that a revoked token, or one
 * that loses the web permission, is signed out everywhere at once.
 */
export class WebSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly sockets = new Map<string, Set<Socket>>();

  /**
   * A new key each start: a restart signs everyone out of the web app, and a cookie that was signed
   * out can never come back, without keeping sessions on disk.
   */
  private readonly key = randomBytes(32);

  constructor(
    private readonly tokenById: (id: string) => TokenRecord | undefined,
    private readonly policy: WebSessionPolicy = DEFAULT_WEB_POLICY,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Opens a session for a token; returns the cookie value. */
  async open(token: TokenRecord): Promise<string> {
    const now = this.clock();
    const sid = randomBytes(18).toString('base64url');
    if (this.sessions.size >= MAX_SESSIONS) this.prune(now);
    this.sessions.set(sid, { tokenId: token.id, createdAt: now, lastSeenAt: now });
    return this.sign(sid, token.id, now, now);
  }

  private sign(sid: string, tokenId: string, createdAt: number, now: number): Promise<string> {
    return new SignJWT({ sid, tid: tokenId, cat: createdAt })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor((createdAt + this.policy.absoluteMs) / 1000))
      .sign(this.key);
  }

  /**
   * The token a cookie signs in, with a fresh cookie when this one is due for rotation; null when
   * it signs in nobody (forged, expired, idle, signed out, or its token may no longer).
   */
  async check(cookie: string | undefined): Promise<{ token: TokenRecord; sid: string; renewed?: string } | null> {
    if (!cookie || cookie.length > 2000) return null;
    const now = this.clock();
    let claims: { sid?: unknown; tid?: unknown; cat?: unknown; iat?: number };
    try {
      ({ payload: claims } = await jwtVerify(cookie, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], currentDate: new Date(now) }));
    } catch {
      return null;
    }
    const { sid, tid, cat } = claims;
    if (typeof sid !== 'string' || typeof tid !== 'string' || typeof cat !== 'number') return null;
    const session = this.sessions.get(sid);
    if (!session || session.tokenId !== tid || session.createdAt !== cat || now - session.lastSeenAt > this.policy.idleMs) return this.end(sid);
    const token = this.tokenById(tid);
    if (webRefusal(token, now)) return this.end(sid);
    session.lastSeenAt = now;
    if (now - (claims.iat ?? 0) * 1000 < this.policy.rotateMs) return { token: token!, sid };
    const fresh = randomBytes(18).toString('base64url');
    this.sessions.delete(sid);
    this.sessions.set(fresh, session);
    return { token: token!, sid: fresh, renewed: await this.sign(fresh, tid, session.createdAt, now) };
  }

  /** Forgets idle and expired sessions, then, if sign-ins keep coming, the oldest (Maps keep insertion order). */
  private prune(now: number): void {
    for (const [sid, session] of this.sessions) {
      if (now - session.lastSeenAt > this.policy.idleMs || now - session.createdAt > this.policy.absoluteMs) this.sessions.delete(sid);
    }
    for (const sid of this.sessions.keys()) {
      if (this.sessions.size < MAX_SESSIONS) break;
      this.sessions.delete(sid);
    }
  }

  /** Signs a session out: its cookie, valid or not, signs in nobody from now on. */
  end(sid: string): null {
    this.sessions.delete(sid);
    return null;
  }

  /** Remembers an upgraded connection (a WebSocket) of a token, to close it when the token may no longer. */
  track(tokenId: string, socket: Socket): void {
    let set = this.sockets.get(tokenId);
    if (!set) this.sockets.set(tokenId, (set = new Set()));
    set.add(socket);
    socket.once('close', () => set.delete(socket));
  }

  /** Ends every session and connection of tokens that may no longer use the web app. Run on each store change. */
  sweep(): number {
    const now = this.clock();
    let closed = 0;
    for (const [sid, session] of this.sessions) if (webRefusal(this.tokenById(session.tokenId), now)) this.end(sid);
    for (const [tokenId, sockets] of this.sockets) {
      if (!webRefusal(this.tokenById(tokenId), now)) continue;
      for (const socket of sockets) {
        socket.destroy();
        closed++;
      }
      this.sockets.delete(tokenId);
    }
    return closed;
  }
}
