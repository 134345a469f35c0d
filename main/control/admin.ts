import { GatehouseError, UsageError } from '../errors';
import type { HandlerContext, Handlers } from './context';

/** What a signed-in remote browser may not do: a stolen session must not be able to lock the owner out. */
export const localOnly = (what: string) =>
  new GatehouseError('LOCAL_ONLY', `For safety, you can only ${what} on the Gatehouse computer itself.`, 'Use the tray app, the dashboard on that computer, or the gatehouse CLI there.');

type AdminOperations = 'getAdminStatus' | 'beginRemoteAdmin' | 'confirmRemoteAdmin' | 'disableRemoteAdmin' | 'changeAdminPassword' | 'renewRecoveryCodes' | 'listAdminSessions' | 'revokeAdminSessions';

/** Remote sign-in to the dashboard: enrolment, password, recovery codes, sessions. */
export function adminHandlers(ctx: HandlerContext): Pick<Handlers, AdminOperations> {
  const { account } = ctx;
  return {
    getAdminStatus: () => ({ ...account.status(), allowList: ctx.settings().adminAllowList }),
    beginRemoteAdmin: ({ password }, actor) => {
      // A new authenticator replaces the old one: only where a lost phone cannot be the attacker.
      if (actor === 'remote-admin') throw localOnly('reset the authenticator');
      if (account.status().enabled && password !== null) throw new UsageError('Remote sign-in is already on.', 'Change the password, or reset the authenticator, instead.');
      return account.beginEnrollment(password);
    },
    confirmRemoteAdmin: ({ code }, actor) => {
      if (actor === 'remote-admin') throw localOnly('reset the authenticator');
      return account.confirmEnrollment(code, actor).finally(() => ctx.changed('settings'));
    },
    disableRemoteAdmin: (_args, actor) => {
      if (actor === 'remote-admin') throw localOnly('turn remote sign-in off');
      account.disable(actor);
      ctx.changed('settings');
      return account.status();
    },
    changeAdminPassword: async ({ current, next }, actor) => {
      await account.changePassword(current, next, actor);
      return { changed: true as const };
    },
    renewRecoveryCodes: (_args, actor) => {
      if (actor === 'remote-admin') throw localOnly('renew the recovery codes');
      return account.renewRecoveryCodes(actor).then((recoveryCodes) => ({ recoveryCodes }));
    },
    listAdminSessions: () => ctx.store.admin.activeSessions(ctx.clock()),
    revokeAdminSessions: ({ id }, actor) => {
      const now = ctx.clock();
      const revoked = ctx.store.audited({ actor, action: 'admin.sessions_revoked', target: id ?? 'all' }, () => (id ? Number(ctx.store.admin.revoke(id, now)) : ctx.store.admin.revokeAll(now)));
      return { revoked };
    },
  };
}
