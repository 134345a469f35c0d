import { AdminAccount } from '../auth/admin-account';
import { TokenService } from '../auth/tokens';
import { labelEndpoints } from '../share/endpoints';
import { Invites } from '../share/invites';
import { adminHandlers } from './admin';
import type { ControlContext, HandlerContext, Handlers } from './context';
import { modelHandlers } from './models';
import { overviewHandlers } from './overview';
import { settingsHandlers } from './settings';
import { shareHandlers } from './share';
import { tlsHandlers } from './tls';
import { tokenHandlers } from './tokens';
import { upstreamHandlers } from './upstreams';

/** The operations themselves, by domain, over the core's parts. Arguments arrive validated. */
export function createHandlers(ctx: ControlContext, changed: HandlerContext['changed']): Handlers {
  const clock = ctx.clock ?? Date.now;
  const context: HandlerContext = {
    ...ctx,
    // The core builds these once and hands them in; a context without them (a test) gets its own.
    tokens: ctx.tokens ?? new TokenService(ctx.store, { clock }),
    account: ctx.account ?? new AdminAccount(ctx.store, clock),
    invites: ctx.invites ?? new Invites(ctx.store, clock),
    clock,
    changed,
    endpoints: () => labelEndpoints(ctx.serving?.()?.urls ?? [], ctx.serving?.()?.tls?.source === 'acme' ? ctx.serving()?.tls?.name : undefined),
    caFingerprint: () => ctx.serving?.()?.tls?.caFingerprint ?? null,
  };
  return {
    ...overviewHandlers(context),
    ...tokenHandlers(context),
    ...shareHandlers(context),
    ...modelHandlers(context),
    ...upstreamHandlers(context),
    ...tlsHandlers(context),
    ...adminHandlers(context),
    ...settingsHandlers(context),
  } satisfies Handlers;
}
