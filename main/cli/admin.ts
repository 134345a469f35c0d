import { AdminSessions } from '../auth/admin-sessions';
import { envOverrides } from '../config/settings';
import { UsageError } from '../errors';
import { DATA_DIR_OPTION, intFlag, parse } from './args';
import QRCode from 'qrcode';
import { withControl, withStore, type Output } from './context';
import { table, when } from './format';
import { terminalPrompt, type Prompt } from './prompt';

export const ADMIN_USAGE = `Usage:
  gatehouse admin link [--port N] [--json]    a one-time link that signs this computer's browser into the dashboard
  gatehouse admin enable-remote               allow dashboard sign-in from other computers (password + authenticator app)
  gatehouse admin disable-remote              turn it off again (ends every session)
  gatehouse admin reset-totp                  pair a new authenticator app (this computer only)
  gatehouse admin sessions [--revoke-all]     the dashboard sessions, and ending them`;

/** `gatehouse admin …`: sign-in links and remote administration, beside a running gateway (they share the store). */
export async function adminCommand(argv: string[], io: Output, prompt: Prompt = terminalPrompt): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'enable-remote' || sub === 'reset-totp') return enrol(rest, io, prompt, sub === 'reset-totp');
  if (sub === 'disable-remote') {
    const { values } = parse(rest, DATA_DIR_OPTION);
    await withControl(values['data-dir'], (control) => control.call('disableRemoteAdmin', {}));
    io.out('Remote administration is off. Every dashboard session has ended; the password and authenticator are forgotten.');
    return 0;
  }
  if (sub === 'sessions') return sessions(rest, io);
  if (sub !== 'link') throw new UsageError(sub ? `Unknown admin command "${sub}".\n${ADMIN_USAGE}` : ADMIN_USAGE);
  const { values } = parse(rest, { ...DATA_DIR_OPTION, port: { type: 'string' }, json: { type: 'boolean' } });
  return withStore(values['data-dir'], (store) => {
    const settings = { ...store.settings.load().settings, ...envOverrides() };
    const port = intFlag(values.port, 'port') ?? settings.port;
    const { code, expiresAt } = AdminSessions.createLink(store);
    const url = `https://localhost:${port}/admin/#login=${code}`;
    if (values.json) {
      io.out(JSON.stringify({ url, expiresAt: new Date(expiresAt).toISOString() }));
    } else {
      io.out(url);
      io.out(`Open it in a browser on this computer within 15 minutes. It works once.${values.port ? '' : ' (If gatehouse serve runs on another port, add --port N.)'}`);
    }
    return 0;
  });
}

/** Password (new) or none (reset), then the authenticator's QR code, then a code from it, then recovery codes. */
async function enrol(argv: string[], io: Output, prompt: Prompt, reset: boolean): Promise<number> {
  const { values } = parse(argv, DATA_DIR_OPTION);
  return withControl(values['data-dir'], async (control) => {
    let password: string | null = null;
    if (!reset) {
      password = await prompt('Admin password (at least 12 characters): ', { hidden: true });
      if ((await prompt('Once more: ', { hidden: true })) !== password) throw new UsageError('The two passwords differ. Nothing was changed.');
    }
    const enrollment = await control.call('beginRemoteAdmin', { password });
    io.out('Scan this with an authenticator app (1Password, Google Authenticator, Aegis…):\n');
    io.out(await QRCode.toString(enrollment.otpauthUri, { type: 'terminal', small: true }));
    io.out(`Or type the secret: ${enrollment.secret}\n`);
    const code = await prompt('The 6-digit code the app shows now: ');
    const { recoveryCodes } = await control.call('confirmRemoteAdmin', { code });
    io.out(`\n${reset ? 'The new authenticator is paired.' : 'Remote administration is on.'} Recovery codes (each works once, instead of a code; store them safely, they are not shown again):\n`);
    for (const c of recoveryCodes) io.out(`  ${c}`);
    return 0;
  });
}

async function sessions(argv: string[], io: Output): Promise<number> {
  const { values } = parse(argv, { ...DATA_DIR_OPTION, 'revoke-all': { type: 'boolean' }, json: { type: 'boolean' } });
  return withControl(values['data-dir'], async (control) => {
    if (values['revoke-all']) {
      const { revoked } = await control.call('revokeAdminSessions', {});
      io.out(`Ended ${revoked} session${revoked === 1 ? '' : 's'}.`);
      return 0;
    }
    const list = await control.call('listAdminSessions', {});
    if (values.json) io.out(JSON.stringify(list));
    else io.out(list.length ? table(['ID', 'FROM', 'SIGNED IN', 'LAST SEEN'], list.map((s) => [s.id, s.ip, when(s.createdAt), when(s.lastSeenAt)])) : 'No open dashboard sessions.');
    return 0;
  });
}
