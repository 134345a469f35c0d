import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { credentialFrom } from '../../auth/token-verifier';
import { REQUEST_CONTEXT } from './request-context';

export const LANDING_PATH = '/invite/share';

/**
 * A person who opens the gateway's address (the owner's Share link) in a browser is sent to a page
 * that explains it, instead of an API's 401. Only a browser's page load without a token: GET / that
 * asks for HTML. API clients (which accept JSON or anything) keep Ollama's own answer, and nothing
 * of Ollama's is read for the redirect.
 */
export const landingPage = fp(
  (scope: FastifyInstance, _options: object, done: () => void) => {
    scope.addHook('onRequest', (request, reply, next) => {
      const accept = request.headers.accept ?? '';
      const forBrowser = request.method === 'GET' && request.gatehouse.match?.route.pattern === '/' && accept.includes('text/html') && credentialFrom(request.headers) === undefined;
      if (!forBrowser) return next();
      // The token and fingerprint after # stay with the browser: it keeps the fragment across the redirect.
      void reply.code(302).header('location', LANDING_PATH).header('cache-control', 'no-store').send();
    });
    done();
  },
  { name: 'gatehouse-landing-page', dependencies: [REQUEST_CONTEXT], fastify: '5.x' },
);
