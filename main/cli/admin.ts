import { AdminSessions } from '../auth/admin-sessions';
import { resolveDataDir } from '../config/paths';
import { envOverrides } from '../config/settings';
import { adminLinkUrl } from '../share/endpoints';
import { UsageError } from '../errors';
import type { Command } from 'commander';
import { intFlag } from './args';
import QRCode from 'qrcode';
import { withControl, withStore, type Output } from './context';
import { table, when } from './format';
import { action, command, dataDirOption, runCommand, type Ran } from './program';
import { terminalPrompt, type Prompt } from './prompt';
import { connectRunning } from './remote-control';

/** `gatehouse admin …`: sign-in links and remote administration, beside a running gateway (they share the store). */
export function adminGroup(io: Output, ran: Ran, prompt: Prompt = terminalPrompt): Command {
  const group = command('admin', 'the dashboard: sign-in links, remote sign-in');
  group
    .command('link')
    .description("a one-time link that signs this computer's browser into the dashboard")
    .addOption(dataDirOption())
    .option('--port <n>', 'the port gatehouse serve listens on, when not the configured one')
    .option('--json', 'as JSON')
    .action(action(ran, (values: { dataDir?: string; port?: string; json?: boolean }) => link(values, io)));
  group
    .command('enable-remote')
    .description('allow dashboard sign-in from other computers (password + authenticator app)')
    .addOption(dataDirOption())
    .action(action(ran, (values: { dataDir?: string }) => enrol(values.dataDir, io, prompt, false)));
  group
    .command('disable-remote')
    .description('turn it off again (ends every session)')
    .addOption(dataDirOption())
    .action(
      action(ran, async (values: { dataDir?: string }) => {
        await withControl(values.dataDir, (control) => control.call('disableRemoteAdmin', {}), {}, io);
        io.out('Remote administration is off. Every dashboard session has ended; the password and authenticator are forgotten.');
        return 0;
      }),
    );
  group
    .command('reset-totp')
    .description('pair a new authenticator app (this computer only)')
    .addOption(dataDirOption())
    .action(action(ran, (values: { dataDir?: string }) => enrol(values.dataDir, io, prompt, true)));
  group
    .command('sessions')
    .description('the dashboard sessions, and ending them')
    .addOption(dataDirOption())
    .option('--revoke-all', 'end every session')
    .option('--json', 'as JSON')
    .action(action(ran, (values: { dataDir?: string; revokeAll?: boolean; json?: boolean }) => sessions(values, io)));
  return group;
}

export function adminCommand(argv: string[], io: Output, prompt: Prompt = terminalPrompt): Promise<number> {
  const ran = { code: 0 };
  return runCommand(adminGroup(io, ran, prompt), argv, io, ran);
}

/** The one-time link for the Gatehouse that runs on this data folder (its real port and scheme). */
async function link(values: { dataDir?: string; port?: string; json?: boolean }, io: Output): Promise<number> {
  const running = await connectRunning(resolveDataDir(values.dataDir));
  running?.close();
  return withStore(values.dataDir, (store) => {
    const settings = { ...store.settings.load().settings, ...envOverrides() };
    const port = intFlag(values.port, 'port') ?? running?.info.port ?? settings.port;
    const scheme = running?.info.urls[0]?.startsWith('http:') ? 'http' : 'https';
    const { code, expiresAt } = AdminSessions.createLink(store);
    const url = adminLinkUrl(scheme, 'localhost', port, code);
    if (values.json) {
      io.out(JSON.stringify({ url, expiresAt: new Date(expiresAt).toISOString() }));
    } else {
      io.out(url);
      io.out(`Open it in a browser on this computer within 15 minutes. It works once.${values.port || running ? '' : ' (Gatehouse is not running: start it with gatehouse serve, or add --port N for one on another port.)'}`);
    }
    return 0;
  });
}

/** Password (new) or none (reset), then the authenticator's QR code, then a code from it, then recovery codes. */
async function enrol(dataDir: string | undefined, io: Output, prompt: Prompt, reset: boolean): Promise<number> {
  return withControl(dataDir, async (control) => {
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
  }, {}, io);
}

async function sessions(values: { dataDir?: string; revokeAll?: boolean; json?: boolean }, io: Output): Promise<number> {
  return withControl(values.dataDir, async (control) => {
    if (values.revokeAll) {
      const { revoked } = await control.call('revokeAdminSessions', {});
      io.out(`Ended ${revoked} session${revoked === 1 ? '' : 's'}.`);
      return 0;
    }
    const list = await control.call('listAdminSessions', {});
    if (values.json) io.out(JSON.stringify(list));
    else io.out(list.length ? table(['ID', 'FROM', 'SIGNED IN', 'LAST SEEN'], list.map((s) => [s.id, s.ip, when(s.createdAt), when(s.lastSeenAt)])) : 'No open dashboard sessions.');
    return 0;
  }, {}, io);
}
