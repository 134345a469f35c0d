import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Settings } from '../../config/settings';
import { sendProblem } from '../problems';
import { REQUEST_CONTEXT } from './request-context';

export const PAUSED_MESSAGE = 'remote access is paused on this computer';

/** While remote access is paused, only this computer gets through; everyone else hears why. */
export const pauseGate = fp(
  (scope: FastifyInstance, options: { settings: () => Readonly<Settings> }, done: () => void) => {
    scope.addHook('onRequest', (request, reply, next) => {
      if (!options.settings().paused || request.gatehouse.local) return next();
      sendProblem(reply, { status: 503, code: 'remote_access_paused', message: PAUSED_MESSAGE, headers: { 'retry-after': '60' } });
    });
    done();
  },
  { name: 'gatehouse-pause-gate', dependencies: [REQUEST_CONTEXT], fastify: '5.x' },
);
