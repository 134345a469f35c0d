import { AdminSessions } from '../auth/admin-sessions';
import { envOverrides } from '../config/settings';
import { UsageError } from '../errors';
import { DATA_DIR_OPTION, intFlag, parse } from './args';
import { withStore, type Output } from './context';

export const ADMIN_USAGE = `Usage:
  gatehouse admin link [--port N] [--json]    a one-time link that signs this computer's browser into the dashboard`;

/** `gatehouse admin link`: works beside a running gateway, which accepts any link in the shared store. */
export function adminCommand(argv: string[], io: Output): number {
  const [sub, ...rest] = argv;
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
