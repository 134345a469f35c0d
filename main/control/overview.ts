import type { Overview, QueueView } from '../../preload/contract';
import type { HandlerContext, Handlers } from './context';
import { activityFrom, metricsFrom, startOfLocalDay } from './metrics-view';

export const DAY_MS = 86_400_000;

function queueView(ctx: HandlerContext): QueueView | null {
  if (!ctx.scheduler) return null;
  const snapshot = ctx.scheduler.snapshot();
  const names = new Map(ctx.store.tokens.all().map((t) => [t.id, t.name]));
  const waits = ctx.queue?.waits() ?? { p50: null, p95: null };
  return {
    slots: snapshot.slots,
    busy: snapshot.busy,
    waiting: snapshot.waiting,
    clients: snapshot.byClient.map((c) => ({ name: names.get(c.id) ?? c.id, running: c.running, waiting: c.waiting })),
    waitP50Ms: waits.p50,
    waitP95Ms: waits.p95,
  };
}

/** The Overview page's numbers, the Metrics page's charts and the Activity page's logs. */
export function overviewHandlers(ctx: HandlerContext): Pick<Handlers, 'getOverview' | 'getQueue' | 'setPaused' | 'getMetrics' | 'listActivity'> {
  return {
    getOverview: (): Overview => {
      const serving = ctx.serving?.() ?? null;
      const today = { requests: 0, errors: 0, tokensIn: 0, tokensOut: 0 };
      for (const row of ctx.store.metering.hourlySince(startOfLocalDay(ctx.clock()))) {
        today.requests += row.requests;
        today.errors += row.errors;
        today.tokensIn += row.prompt_tokens;
        today.tokensOut += row.completion_tokens;
      }
      return {
        endpoints: ctx.endpoints(),
        tls: serving?.tls ? { ...serving.tls, caFingerprint: serving.tls.caFingerprint ?? null } : null,
        paused: ctx.settings().paused,
        ollama: ctx.ollama?.status() ?? null,
        today,
        activeTokens: ctx.verifier?.activeTokens ?? ctx.store.tokens.all().filter((t) => t.revokedAt === null).length,
        live: ctx.metering?.live() ?? [],
        queue: queueView(ctx),
        upstreams: {
          total: ctx.hosts?.size ?? 1,
          down: (ctx.hosts?.list() ?? []).filter((h) => h.state === 'down').map((h) => ({ name: h.name, error: h.error })),
        },
      };
    },
    getQueue: () => queueView(ctx),
    setPaused: ({ paused }, actor) => {
      ctx.store.setSetting('paused', paused, actor);
      ctx.changed('settings');
      return { paused };
    },
    getMetrics: ({ days }) => metricsFrom(ctx.store.metering.hourlySince(ctx.clock() - days * DAY_MS), days, ctx.clock()),
    listActivity: ({ kind, days, before, limit }) => {
      const since = ctx.clock() - days * DAY_MS;
      ctx.metering?.flush();
      const page = { limit, before };
      return activityFrom(kind, kind === 'audit' ? ctx.store.metering.auditSince(since, page) : [], kind === 'security' ? ctx.store.metering.securitySince(since, page) : []);
    },
  };
}
