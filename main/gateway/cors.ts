import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * CORS for browser-based clients (a chat UI served from another origin). Preflights carry no
 * token, so they are answered here, before the access checks, and never reach Ollama. Any origin
 * is allowed because the gateway's credential is a bearer token the page must already hold, never
 * a cookie the browser would attach by itself; so no Allow-Credentials.
 */
const PREFLIGHT_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, POST, DELETE',
  'access-control-allow-headers': 'authorization, x-api-key, content-type',
  'access-control-max-age': '600',
};

/** Answers a CORS preflight; returns true when it did. Otherwise marks the answer readable cross-origin. */
export function handleCors(request: FastifyRequest, reply: FastifyReply): boolean {
  if (!request.headers.origin) return false;
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
    void reply.code(204).headers(PREFLIGHT_HEADERS).send();
    return true;
  }
  // Set now, so refusals (401, 429…) are readable by the page too, not only Ollama's answers.
  void reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', 'retry-after');
  return false;
}
