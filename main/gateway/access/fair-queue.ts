import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Settings } from '../../config/settings';
import { sendProblem } from '../problems';
import { LOCAL_ONLY, type Client, type Grant, type Scheduler } from '../scheduler';
import { ROUTE_GUARD } from './route-guard';

/** The routes that make the GPU work: they take one of Ollama's slots while they run. */
export const SCHEDULED_ROUTES: ReadonlySet<string> = new Set([
  '/api/generate', '/api/chat', '/api/embed', '/api/embeddings',
  '/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses', '/v1/messages',
]);

export const WAIT_HEADER = 'x-gatehouse-queue-wait-ms';
/** Tokenless requests from this computer share one place in the queue. */
export const THIS_COMPUTER = 'this computer';

export interface FairQueueOptions {
  scheduler: Scheduler;
  settings: () => Readonly<Settings>;
  /** Told how long each scheduled request waited (the wait histogram). */
  waited?: (ms: number) => void;
}

/** The slot is the request's until its answer ends or its client goes; the host is the slot's pool. */
function admitted(request: FastifyRequest, reply: FastifyReply, grant: Extract<Grant, { ok: true }>, client: Client, waited?: (ms: number) => void) {
  reply.raw.once('close', grant.release);
  request.gatehouse.upstream = grant.pool;
  request.gatehouse.slot = { grant, client };
  void reply.header(WAIT_HEADER, String(Math.round(grant.waitedMs)));
  waited?.(grant.waitedMs);
}

const clientOf = (request: FastifyRequest): Client => {
  const token = request.gatehouse.token;
  return token ? { id: token.id, weight: token.weight, priority: token.priority } : { id: THIS_COMPUTER, weight: 1, priority: 'interactive' };
};

/**
 * Inference waits here for one of Ollama's slots, in fair order (see scheduler.ts), not in
 * Ollama's first-come queue. A client that leaves while it waits is forgotten and never reaches
 * Ollama; one that waits too long hears that the GPU is busy. The slot is freed when the answer
 * ends or the client goes. The wait is on every answer in X-Gatehouse-Queue-Wait-Ms.
 */
export const fairQueue = fp(
  (scope: FastifyInstance, options: FairQueueOptions, done: () => void) => {
    const { scheduler } = options;

    scope.addHook('preHandler', (request, reply, next) => {
      const { match, token } = request.gatehouse;
      if (!match || !SCHEDULED_ROUTES.has(match.route.pattern)) {
        void reply.header(WAIT_HEADER, '0');
        return next();
      }
      const client = clientOf(request);
      // With several hosts, any of those that have the model (the routing put them in order).
      const pools = request.gatehouse.candidates ?? LOCAL_ONLY;
      // Free slots and nobody waiting: no timer, no promise, on the path every request takes.
      const now = scheduler.tryAcquire(client, pools);
      if (now) {
        admitted(request, reply, now, client, options.waited);
        return next();
      }
      if (token && scheduler.waitingOf(client.id) >= token.queue) {
        const message = `The token "${token.name}" already has ${token.queue} request(s) waiting for the GPU, its limit. Wait for them to finish.`;
        // A full queue is a busy GPU, not an attack: answered, not logged as a security event.
        sendProblem(reply, { status: 429, code: 'queue_full', message, headers: { 'retry-after': '5' } });
        return;
      }
      const abort = new AbortController();
      const settings = options.settings();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        abort.abort();
      }, settings.queueTimeoutSeconds * 1000);
      const gone = () => abort.abort();
      reply.raw.once('close', gone);
      const ahead = () => scheduler.snapshot().busy + Math.max(0, (scheduler.positionsOf(client.id)[0] ?? 1) - 1);
      let aheadWhenGivenUp = 0;
      abort.signal.addEventListener('abort', () => (aheadWhenGivenUp = ahead()), { once: true });
      void scheduler.acquire(client, abort.signal, pools).then((grant) => {
        clearTimeout(timer);
        reply.raw.removeListener('close', gone);
        if (grant.ok) {
          admitted(request, reply, grant, client, options.waited);
          return next();
        }
        // The client went away: nobody to answer, and nothing reaches Ollama.
        if (!timedOut) return void reply.hijack();
        sendProblem(reply, {
          status: 503,
          code: 'gpu_busy',
          message: `The GPU is busy: ${aheadWhenGivenUp} request(s) were ahead of yours for ${settings.queueTimeoutSeconds} s. Try again in a minute, or ask the owner for a larger share.`,
          headers: { 'retry-after': '30', [WAIT_HEADER]: String(settings.queueTimeoutSeconds * 1000) },
        });
      });
    });
    done();
  },
  { name: 'gatehouse-fair-queue', dependencies: [ROUTE_GUARD], fastify: '5.x' },
);
