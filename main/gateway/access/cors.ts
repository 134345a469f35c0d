import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { credentialFrom } from '../../auth/token-verifier';
import { sendProblem } from '../problems';
import { matchRoute } from '../routes';
import { REQUEST_CONTEXT } from './request-context';

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

/** Answers a CORS preflight; returns true when it did. Otherwise marks a tokened answer readable cross-origin. */
function answerCors(request: FastifyRequest, reply: FastifyReply): boolean {
  if (!request.headers.origin) return false;
  const { path, match } = request.gatehouse;
  const asked = request.headers['access-control-request-method'];
  if (request.method === 'OPTIONS' && asked) {
    // The route the method the preflight asks about would reach, on the same canonical path.
    if (typeof asked !== 'string' || !path.ok || !matchRoute(asked, path.path)) {
      return sendProblem(reply, { status: 403, code: 'cors_refused', message: 'Cross-origin requests are answered only on Ollama\'s API routes.' });
    }
    void reply.code(204).headers(PREFLIGHT_HEADERS).send();
    return true;
  }
  // Set now, so refusals (401, 429…) are readable by the page too, not only Ollama's answers.
  if (match && credentialFrom(request.headers) !== undefined) {
    void reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', 'retry-after');
  }
  return false;
}

export const cors = fp(
  (scope: FastifyInstance, _options: object, done: () => void) => {
    scope.addHook('onRequest', (request, reply, next) => {
      if (!answerCors(request, reply)) next();
    });
    done();
  },
  { name: 'gatehouse-cors', dependencies: [REQUEST_CONTEXT], fastify: '5.x' },
);
