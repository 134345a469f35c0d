import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Lockout } from '../../auth/lockout';
import { tokenFingerprint } from '../../auth/token-format';
import { keyFingerprint, signedCredentialFrom, signedTarget, type SignedCredential } from '../../auth/ollama-keys';
import { credentialFrom, type TokenVerifier, type Verification } from '../../auth/token-verifier';
import type { Settings } from '../../config/settings';
import type { SecuritySink } from '../../metering/security-events';
import type { HostNames } from '../../tls/addresses';
import { isOwnHost, isSameOrigin } from '../admin/guard';
import { OLLAMA_KEY_PAGE } from '../ollama-key-page';
import { sendProblem } from '../problems';
import { REQUEST_CONTEXT } from './request-context';

export interface TokenAuthOptions {
  verifier: TokenVerifier;
  settings: () => Readonly<Settings>;
  /** Shared by every scope that checks tokens: a guesser is locked out of all of them. */
  lockout: Lockout;
  /** This computer's names and addresses: a tokenless request must name one in Host. */
  hostNames: () => HostNames;
  /** The scheme the gateway serves, for the same-origin check of tokenless requests. */
  scheme: 'http' | 'https';
  security: SecuritySink;
  clock?: () => number;
  /**
   * For forward-auth: the request a proxy asks about, whose path a signature must cover, and no
   * trust for tokenless local requests (the proxy itself is local; the person behind it is not).
   */
  forwarded?: (request: FastifyRequest) => { method: string; url: string; path: string } | null;
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="gatehouse"' };

export const TOKEN_AUTH = 'gatehouse-token-auth';

/**
 * Who is asking: an address locked out for guessing is refused first; then the API token is
 * verified (from memory), or, with trustLoopback, a tokenless request from a program on this
 * computer is let through. Every invalid token counts towards the address's lockout.
 */
export const tokenAuth = fp(
  (scope: FastifyInstance, options: TokenAuthOptions, done: () => void) => {
    const clock = options.clock ?? Date.now;
    /**
     * trustLoopback's conditions beyond "from this computer": the Host names this computer (a page
     * on evil.example that rebinds its name to 127.0.0.1 still sends its own Host), and nothing says
     * a web page sent it (a foreign Origin, or Fetch Metadata saying another site).
     */
    const trustedHere = (request: FastifyRequest) => isOwnHost(request.headers.host, options.hostNames()) && isSameOrigin(request.headers, options.scheme);

    /** A signature covers the request itself, or, for forward-auth, the one the proxy asks about. */
    const verifySigned = (request: FastifyRequest, signed: SignedCredential): Verification => {
      const path = request.gatehouse.path;
      const target = options.forwarded ? options.forwarded(request) : { method: request.method, url: request.url, path: path.ok ? path.path : '' };
      return options.verifier.verifySigned(signed, signedTarget(target?.method ?? '', target?.url ?? '', target?.path ?? '', clock()));
    };

    const authenticate = (request: FastifyRequest, reply: FastifyReply): boolean => {
      const settings = options.settings();
      const context = request.gatehouse;
      const locked = options.lockout.state(context.ip);
      if (locked.locked) {
        const message = `Too many invalid API tokens came from ${context.ip}. Try again in ${locked.retryAfterSeconds} s with a valid token.`;
        return !sendProblem(reply, { status: 429, code: 'locked_out', message, headers: { 'retry-after': String(locked.retryAfterSeconds) } });
      }
      const signed = signedCredentialFrom(request.headers.authorization);
      const credential = signed ? undefined : credentialFrom(request.headers);
      if (!signed && credential === undefined && context.local && settings.trustLoopback && !options.forwarded) {
        if (trustedHere(request)) return true;
        const message = 'Requests without a token are trusted only from programs on this computer, not from web pages or under another host name. Send an API token.';
        return !sendProblem(reply, { status: 401, code: 'token_missing', message, headers: CHALLENGE });
      }
      const verdict: Verification = signed ? verifySigned(request, signed) : options.verifier.verify(credential);
      if (verdict.ok) {
        context.token = verdict.token;
        return true;
      }
      const help = signed && isOwnHost(request.headers.host, options.hostNames()) ? `${options.scheme}://${request.headers.host}${OLLAMA_KEY_PAGE}?key=${encodeURIComponent(signed.blob)}&why=${verdict.reason}` : undefined;
      const problem = { status: 401, code: `${signed ? 'signature' : 'token'}_${verdict.reason}`, message: verdict.message, headers: CHALLENGE, ...(help ? { signinUrl: help } : {}) };
      if (verdict.reason === 'missing') return !sendProblem(reply, problem);
      // Never the signature itself: the key's fingerprint, or the token's.
      const fingerprint = signed ? keyFingerprint(signed.blob) : tokenFingerprint(credential ?? '');
      if (options.lockout.fail(context.ip)) {
        options.security({ at: clock(), kind: 'lockout', ip: context.ip, fingerprint, detail: `locked out for ${settings.lockoutSeconds} s after ${settings.lockoutThreshold} invalid tokens` });
      }
      reply.refuse('auth_failed', problem, { fingerprint, ...(verdict.token ? { tokenId: verdict.token.id, tokenName: verdict.token.name } : {}) });
      return false;
    };

    scope.addHook('onRequest', (request, reply, next) => {
      if (authenticate(request, reply)) next();
    });
    done();
  },
  { name: TOKEN_AUTH, dependencies: [REQUEST_CONTEXT], fastify: '5.x' },
);
