import type { FastifyInstance } from 'fastify';
import type { Settings } from '../config/settings';
import { pauseGate, tokenAuth, type TokenAuthOptions } from './access';
import { THIS_COMPUTER } from './access/fair-queue';
import type { Scheduler } from './scheduler';

/**
 * GET /gatehouse/v1/queue, for any valid token: the slots in use, how many requests wait, where
 * the caller's own requests stand, and how long the next one of them should wait.
 */
export async function queueRoute(scope: FastifyInstance, deps: { auth: TokenAuthOptions; scheduler: Scheduler; settings: () => Readonly<Settings> }): Promise<void> {
  await scope.register(pauseGate, { settings: deps.settings });
  await scope.register(tokenAuth, deps.auth);
  scope.get('/gatehouse/v1/queue', (request, reply) => {
    const { scheduler } = deps;
    const snapshot = scheduler.snapshot();
    const you = request.gatehouse.token?.id ?? THIS_COMPUTER;
    const positions = scheduler.positionsOf(you);
    const mine = snapshot.byClient.find((c) => c.id === you);
    void reply.header('cache-control', 'no-store');
    return {
      slots: snapshot.slots,
      busy: snapshot.busy,
      waiting: snapshot.waiting,
      yours: { running: mine?.running ?? 0, waiting: positions.length, positions },
      expectedWaitMs: scheduler.expectedWaitMs(positions[0] ?? snapshot.waiting + 1),
    };
  });
}
