import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Budgets, BudgetVerdict } from '../../auth/budgets';
import { ConcurrencyLimiter, RateLimiter } from '../../auth/limits';
import type { Settings } from '../../config/settings';
import { BodyBudget } from '../body-budget';
import { sendProblem } from '../problems';
import { ROUTE_GUARD } from './route-guard';

const MiB = 1024 * 1024;

/** Counts a body against the memory budget before it is read; answers and returns false when it must wait. */
function reserveBody(request: FastifyRequest, reply: FastifyReply, budget: BodyBudget, bodyLimit: number): boolean {
  const declared = request.headers['content-length'];
  if (declared === undefined && request.headers['transfer-encoding'] === undefined) return true;
  // A chunked body may grow to the limit, so it is counted at the limit.
  const bytes = declared === undefined ? bodyLimit : Math.min(bodyLimit, Number(declared) || 0);
  if (bytes === 0) return true;
  const key = request.gatehouse.token?.id ?? `ip:${request.gatehouse.ip}`;
  const verdict = budget.reserve(key, bytes);
  if (verdict === 'ok') {
    reply.raw.once('close', () => budget.release(key, bytes));
    return true;
  }
  sendProblem(reply, verdict === 'everyone'
    ? { status: 503, code: 'busy', message: 'Gatehouse is reading many large requests right now. Try again in a few seconds.', headers: { 'retry-after': '5' } }
    : { status: 429, code: 'too_many_large_bodies', message: 'This client already has several large requests in flight. Wait for one to finish.', headers: { 'retry-after': '5' } });
  return false;
}

/** Says which budget is spent and when it comes back, in this computer's time. */
function budgetMessage(name: string, b: Extract<BudgetVerdict, { ok: false }>): string {
  const when = new Date(b.resetsAt).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  return `The token "${name}" has used its ${b.period === 'day' ? 'daily' : 'monthly'} budget of ${b.limit} tokens (${b.spent} used). It renews on ${when} (the Gatehouse computer's time), or the owner can raise it.`;
}

/**
 * A token's own limits (requests running at once, requests per minute), then the memory that
 * bodies waiting to be read may take (blob uploads stream through and are not counted).
 */
export const limits = fp(
  (scope: FastifyInstance, options: { settings: () => Readonly<Settings>; budgets?: Budgets; clock?: () => number }, done: () => void) => {
    const rate = new RateLimiter(options.clock ?? Date.now);
    const concurrency = new ConcurrencyLimiter();
    const bodyLimit = options.settings().bodyLimitMiB * MiB;
    // Sixteen full-size bodies in all, four per token: room for a team's image chats, not for a flood.
    const budget = new BodyBudget(16 * bodyLimit, 4 * bodyLimit);

    const admitToken = (request: FastifyRequest, reply: FastifyReply): boolean => {
      const token = request.gatehouse.token;
      if (!token) return true;
      // Checked from memory, before anything is counted against the token.
      const budget = options.budgets?.check(token);
      if (budget && !budget.ok) {
        sendProblem(reply, { status: 429, code: 'budget_spent', message: budgetMessage(token.name, budget), headers: { 'retry-after': String(budget.retryAfterSeconds) } });
        return false;
      }
      if (token.concurrency && concurrency.current(token.id) >= token.concurrency) {
        const message = `The token "${token.name}" already has ${token.concurrency} request(s) running, its limit. Wait for one to finish.`;
        reply.refuse('concurrency_limited', { status: 429, code: 'concurrency_limit', message, headers: { 'retry-after': '1' } });
        return false;
      }
      const allowed = rate.take(token.id, token.rpm);
      if (!allowed.ok) {
        const message = `The token "${token.name}" is limited to ${token.rpm} requests per minute. Try again in ${allowed.retryAfterSeconds} s.`;
        reply.refuse('rate_limited', { status: 429, code: 'rate_limit', message, headers: { 'retry-after': String(allowed.retryAfterSeconds) } });
        return false;
      }
      concurrency.acquire(token.id, token.concurrency);
      reply.raw.once('close', () => concurrency.release(token.id));
      return true;
    };

    scope.addHook('onRequest', (request, reply, next) => {
      if (!admitToken(request, reply)) return;
      if (request.gatehouse.match?.route.rawBody || reserveBody(request, reply, budget, bodyLimit)) next();
    });
    done();
  },
  { name: 'gatehouse-limits', dependencies: [ROUTE_GUARD], fastify: '5.x' },
);
