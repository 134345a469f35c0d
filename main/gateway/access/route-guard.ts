import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sendProblem } from '../problems';
import { pathExists } from '../routes';
import { TOKEN_AUTH } from './token-auth';

export const ROUTE_GUARD = 'gatehouse-route-guard';

/**
 * What may be forwarded, and by whom: the route table denies by default (404 for a path Ollama
 * has no route for, 405 for a method it does not take), and managing models (pull, push, create,
 * copy, delete) needs an admin token. A tokenless local request may only run models.
 */
export const routeGuard = fp(
  (scope: FastifyInstance, _options: object, done: () => void) => {
    const guard = (request: FastifyRequest, reply: FastifyReply): boolean => {
      const { path, match, token } = request.gatehouse;
      if (!path.ok) return !sendProblem(reply, { status: 400, code: 'bad_path', message: path.message });
      if (!match) {
        return !sendProblem(reply, pathExists(path.path)
          ? { status: 405, code: 'method_not_allowed', message: `${request.method} is not allowed on ${path.path}.` }
          : { status: 404, code: 'not_found', message: `Gatehouse does not forward ${request.method} ${path.path}.` });
      }
      if (match.route.scope !== 'admin' || token?.scope === 'admin') return true;
      const who = token ? `The token "${token.name}" may` : 'Requests without a token may';
      const instead = token ? '' : ', or use the Gatehouse window or dashboard';
      reply.refuse('scope_denied', { status: 403, code: 'scope_denied', message: `${who} run models but not manage them (${request.method} ${match.route.pattern} needs an admin token${instead}).` });
      return false;
    };
    scope.addHook('onRequest', (request, reply, next) => {
      if (guard(request, reply)) next();
    });
    done();
  },
  { name: ROUTE_GUARD, dependencies: [TOKEN_AUTH], fastify: '5.x' },
);
