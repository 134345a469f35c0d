import type { Command } from 'commander';
import { UsageError } from '../errors';
import { withControl, withStore, type Output } from './context';
import { action, command, dataDirOption, runCommand, type Ran } from './program';

interface SetFlags {
  dataDir?: string;
  upstream?: string;
  port?: string;
  trustedHeader?: string;
}

async function set(values: SetFlags, io: Output): Promise<number> {
  if (!values.upstream) throw new UsageError('Say where the web app listens: gatehouse webapp set --upstream http://127.0.0.1:3000');
  const changes: Record<string, string> = { webappUpstream: values.upstream };
  if (values.port !== undefined) changes.webappPort = values.port;
  if (values.trustedHeader !== undefined) changes.webappTrustedHeader = values.trustedHeader;
  const settings = await withControl(values.dataDir, async (control, store) => {
    await control.call('updateSettings', { changes });
    return store.settings.load().settings;
  }, {}, io);
  io.out(`From its next start, Gatehouse guards the web app at ${settings.webappUpstream} on port ${settings.webappPort} (https://<address>:${settings.webappPort}/). Restart Gatehouse now.`);
  io.out('Teammates sign in with a token that may open it: gatehouse token update <name> --web');
  if (settings.webappTrustedHeader !== 'off') {
    io.out(`It tells the app who signed in (X-Trusted-User-${settings.webappTrustedHeader === 'email' ? 'Email' : 'Name'}). For Open WebUI: WEBUI_AUTH_TRUSTED_EMAIL_HEADER=X-Trusted-User-Email, and keep Open WebUI on 127.0.0.1 so nobody can send that header but Gatehouse.`);
  }
  return 0;
}

/** `gatehouse webapp set | off | status`: the web app (Open WebUI, say) Gatehouse guards with its tokens. */
export function webappGroup(io: Output, ran: Ran): Command {
  const group = command('webapp', 'a web app (Open WebUI, say) that teammates open with their token');
  group
    .command('set')
    .description('guard the web app listening at --upstream, on its own port with the same certificate')
    .addOption(dataDirOption())
    .option('--upstream <url>', 'where the web app listens on this computer, such as http://127.0.0.1:3000')
    .option('--port <n>', 'the port teammates open (default 11444)')
    .option('--trusted-header <mode>', 'tell the app who signed in: email (X-Trusted-User-Email, for Open WebUI), name, or off (the default)')
    .action(action(ran, (values: SetFlags) => set(values, io)));
  group
    .command('off')
    .description('stop guarding (and serving) the web app, from the next start')
    .addOption(dataDirOption())
    .action(
      action(ran, async (values: { dataDir?: string }) => {
        await withControl(values.dataDir, (control) => control.call('updateSettings', { changes: { webappUpstream: '' } }), {}, io);
        io.out('From its next start, Gatehouse serves no web app. Restart Gatehouse now.');
        return 0;
      }),
    );
  group
    .command('status')
    .description('the web app Gatehouse guards, if any')
    .addOption(dataDirOption())
    .option('--json', 'as JSON')
    .action(
      action(ran, (values: { dataDir?: string; json?: boolean }) =>
        withStore(values.dataDir, (store) => {
          const s = store.settings.load().settings;
          const tokens = store.tokens.all().filter((t) => t.web && t.revokedAt === null).map((t) => t.name);
          if (values.json) io.out(JSON.stringify({ upstream: s.webappUpstream || null, port: s.webappPort, trustedHeader: s.webappTrustedHeader, tokens }));
          else if (!s.webappUpstream) io.out('No web app is guarded. Set one with: gatehouse webapp set --upstream http://127.0.0.1:3000');
          else {
            io.out(`Guarding ${s.webappUpstream} at https://<address>:${s.webappPort}/ (identity headers: ${s.webappTrustedHeader}).`);
            io.out(tokens.length ? `Tokens that may open it: ${tokens.join(', ')}` : 'No token may open it yet: gatehouse token update <name> --web');
          }
          return 0;
        }),
      ),
    );
  return group;
}

export function webappCommand(argv: string[], io: Output): Promise<number> {
  const ran = { code: 0 };
  return runCommand(webappGroup(io, ran), argv, io, ran);
}
