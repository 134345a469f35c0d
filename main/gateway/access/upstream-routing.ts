import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { UpstreamHosts } from '../../upstreams/hosts';
import { sendProblem } from '../problems';
import { LOCAL_ONLY, type Scheduler } from '../scheduler';
import { ROUTE_GUARD } from './route-guard';

/** Routes that make something new on a host: they go to the local Ollama (the CLI and window can name another). */
const TO_LOCAL: ReadonlySet<string> = new Set(['/api/pull', '/api/create']);

export interface UpstreamRoutingOptions {
  hosts: UpstreamHosts;
  scheduler: Scheduler;
}

/** The model as the client spelled it, for the answer that no host has it. */
function spelled(request: FastifyRequest, canonical: string): string {
  const { body, match } = request.gatehouse;
  const given = body?.get('model') ?? body?.get('name') ?? match?.params.name;
  return typeof given === 'string' && given ? given : canonical;
}

/**
 * With several Ollama hosts, decides which can serve each request: those that have its model,
 * best first (loaded, then free slots). The fair queue then waits for a slot on any of them, and
 * the proxy moves a request that fails before its first byte to the next. With one host, this
 * does nothing at all. A model no host has is answered here with 404 in the family's shape, after
 * asking the hosts once more (a model pulled a moment ago may not be in the lists yet).
 */
export const upstreamRouting = fp(
  (scope: FastifyInstance, options: UpstreamRoutingOptions, done: () => void) => {
    const { hosts, scheduler } = options;
    const free = (name: string) => scheduler.freeIn(name);
    const notFound = (request: FastifyRequest, reply: FastifyReply, model: string) =>
      sendProblem(reply, { status: 404, code: 'model_not_found', message: `model "${spelled(request, model)}" not found on any of the ${hosts.size} Ollama hosts, try pulling it first` });

    scope.addHook('preHandler', (request, reply, next) => {
      if (hosts.size === 1) return next();
      const context = request.gatehouse;
      const route = context.match?.route;
      const model = context.models?.[0];
      if (!route || !model || route.list || TO_LOCAL.has(route.pattern)) {
        context.candidates = LOCAL_ONLY;
        return next();
      }
      const ranked = hosts.candidates(model, free);
      if (ranked.length) {
        context.candidates = ranked;
        return next();
      }
      void hosts.recheck().then(() => {
        const again = hosts.candidates(model, free);
        if (!again.length) return notFound(request, reply, model);
        context.candidates = again;
        next();
      });
    });
    done();
  },
  { name: 'gatehouse-upstream-routing', dependencies: [ROUTE_GUARD], fastify: '5.x' },
);
