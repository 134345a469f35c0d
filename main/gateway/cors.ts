import type { FastifyReply, FastifyRequest } from 'fastify';
import { credentialFrom } from '../auth/token-verifier';
import { sendProblem } from './problems';
import { matchRoute, normalisePath } from './routes';

/**
 * CORS for browser-based clients (a chat UI served from another origin), on Ollama's API routes
 * only: the dashboard and invite pages never answer another origin. Preflights carry no token, so
 * they are answered here, before the access checks, and never reach Ollama. Any origin is allowed
 * because the credential is a bearer token the page must already hold, never a cookie the browser
 * would attach by itself; so no Allow-Credentials, and no Allow-Origin on an answer to a request
 * without a token (this computer's tokenless access is not for web pages).
 */
const PREFLIGHT_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, POST, DELETE',
  'access-control-allow-headers': 'authorization, x-api-key, content-type',
  'access-control-max-age': '600',
};

/** The API route a cross-origin request (or the method its preflight asks about) would reach. */
function proxiedRoute(request: FastifyRequest, method: string) {
  const normalised = normalisePath(request.url);
  return normalised.ok ? matchRoute(method, normalised.path) : undefined;
}

/** Answers a CORS preflight; returns true when it did. Otherwise marks a tokened answer readable cross-origin. */
export function handleCors(request: FastifyRequest, reply: FastifyReply): boolean {
  if (!request.headers.origin) return false;
  const asked = request.headers['access-control-request-method'];
  if (request.method === 'OPTIONS' && asked) {
    if (typeof asked !== 'string' || !proxiedRoute(request, asked)) {
      return sendProblem(reply, { status: 403, code: 'cors_refused', message: 'Cross-origin requests are answered only on Ollama\'s API routes.' });
    }
    void reply.code(204).headers(PREFLIGHT_HEADERS).send();
    return true;
  }
  // Set now, so refusals (401, 429…) are readable by the page too, not only Ollama's answers.
  if (credentialFrom(request.headers) !== undefined && proxiedRoute(request, request.method)) {
    void reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', 'retry-after');
  }
  return false;
}
