import type { TokenView } from '../../preload/contract';
import { Budgets } from '../auth/budgets';
import { tokenExpiry } from '../auth/duration';
import type { HandlerContext, Handlers } from './context';
import { DAY_MS } from './overview';

const NO_USAGE: TokenView['usage'] = { requests: 0, tokensIn: 0, tokensOut: 0 };

/** Issuing, listing, changing and revoking API tokens, each audited as the actor who asked. */
export function tokenHandlers(ctx: HandlerContext): Pick<Handlers, 'listTokens' | 'createToken' | 'updateToken' | 'revokeToken'> {
  return {
    listTokens: (): TokenView[] => {
      const usage = new Map<string, TokenView['usage']>();
      for (const row of ctx.store.metering.hourlySince(ctx.clock() - 30 * DAY_MS)) {
        const u = usage.get(row.token_id) ?? { ...NO_USAGE };
        u.requests += row.requests;
        u.tokensIn += row.prompt_tokens;
        u.tokensOut += row.completion_tokens;
        usage.set(row.token_id, u);
      }
      const budgets = ctx.budgets ?? Budgets.overStore((since) => ctx.store.metering.hourlySince(since), ctx.clock);
      return ctx.tokens.list().map((t) => ({ ...t, usage: usage.get(t.id) ?? { ...NO_USAGE }, spent: budgets.used(t.id) }));
    },
    createToken: ({ expiresIn, ...input }, actor) => {
      const created = ctx.tokens.create({ ...input, expiresAt: tokenExpiry(expiresIn, ctx.clock()) }, actor);
      ctx.changed('tokens');
      return created;
    },
    updateToken: ({ token, changes: { expiresIn, addOllamaKey, removeOllamaKeys, ...changes } }, actor) => {
      const expiry = expiresIn === undefined ? {} : { expiresAt: tokenExpiry(expiresIn, ctx.clock()) };
      const policy = { ...changes, ...expiry };
      const keys = { ...(addOllamaKey !== undefined ? { add: addOllamaKey } : {}), ...(removeOllamaKeys ? { removeAll: true } : {}) };
      // One transaction: a key that cannot be added leaves the policy unchanged too.
      const updated = ctx.store.db.transaction(() => {
        const changed = Object.keys(policy).length > 0 || Object.keys(keys).length === 0 ? ctx.tokens.update(token, policy, actor) : ctx.tokens.get(token);
        return Object.keys(keys).length > 0 ? ctx.tokens.changeOllamaKeys(changed.id, keys, actor) : changed;
      })();
      ctx.changed('tokens');
      return updated;
    },
    revokeToken: ({ token }, actor) => {
      const revoked = ctx.tokens.revoke(token, actor);
      ctx.changed('tokens');
      return revoked;
    },
  };
}
