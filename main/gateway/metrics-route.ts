import type { FastifyInstance } from 'fastify';
import type { Settings } from '../config/settings';
import type { Metering } from '../metering/metering';
import { pauseGate, tokenAuth, type TokenAuthOptions } from './access';

/** /metrics for Prometheus: admin tokens, tokens with the metrics permission, or this computer when trusted. */
export async function metricsRoute(scope: FastifyInstance, deps: { settings: () => Readonly<Settings>; auth: TokenAuthOptions; metering: Metering }): Promise<void> {
  await scope.register(pauseGate, { settings: deps.settings });
  await scope.register(tokenAuth, deps.auth);
  scope.get('/metrics', {
    onRequest: (request, reply, next) => {
      const token = request.gatehouse.token;
      if (!token || token.scope === 'admin' || token.metrics) return next();
      reply.refuse('scope_denied', {
        status: 403,
        code: 'metrics_denied',
        message: `The token "${token.name}" may not read metrics. Create a token with --metrics for your monitoring.`,
      });
    },
    handler: async (_request, reply) => {
      const { registry } = deps.metering;
      return reply.header('cache-control', 'no-store').type(registry.contentType).send(await registry.metrics());
    },
  });
}
