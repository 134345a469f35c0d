import type { Args } from '../../preload/contract';
import { tokenScope } from '../../preload/rules';
import { TokenService } from '../auth/tokens';
import { parseArgument, UsageError } from '../errors';
import { DATA_DIR_OPTION, intFlag, listFlag, parse } from './args';
import { withControl, withStore, type Output } from './context';
import { tokenJson, tokenRows } from './format';

export const POLICY_OPTIONS = {
  ...DATA_DIR_OPTION,
  scope: { type: 'string' },
  models: { type: 'string' },
  deny: { type: 'string' },
  rpm: { type: 'string' },
  concurrency: { type: 'string' },
  expires: { type: 'string' },
  metrics: { type: 'boolean' },
  'no-metrics': { type: 'boolean' },
  cloud: { type: 'boolean' },
  'no-cloud': { type: 'boolean' },
} as const;

export const TOKEN_USAGE = `Usage:
  gatehouse token create --name N [--scope inference|admin] [--models P1,P2] [--deny P3]
                         [--rpm N] [--concurrency N] [--expires 30d|2027-01-31] [--metrics] [--cloud] [--json]
  gatehouse token list [--json]
  gatehouse token update <id|name> [--scope S] [--models P1,P2] [--deny P3] [--rpm N]
                         [--concurrency N] [--expires 30d|2027-01-31|never] [--metrics|--no-metrics]
                         [--cloud|--no-cloud]

  --cloud lets the token use cloud models (name:cloud, …-cloud) and web search/fetch, which run
  on this computer's ollama.com account. Off unless given.
  gatehouse token revoke <id|name>`;

type PolicyFlags = ReturnType<typeof parse<typeof POLICY_OPTIONS>>['values'];

type PolicyChanges = Args<'updateToken'>['changes'];

/** Only the flags that were given, so an update leaves everything else as it was. */
export function policyFromFlags(values: PolicyFlags): PolicyChanges {
  const policy: PolicyChanges = {};
  if (values.scope !== undefined) policy.scope = parseArgument(tokenScope, values.scope);
  if (values.models !== undefined) policy.allowModels = listFlag(values.models) ?? [];
  if (values.deny !== undefined) policy.denyModels = listFlag(values.deny) ?? [];
  if (values.rpm !== undefined) policy.rpm = values.rpm === 'none' ? null : (intFlag(values.rpm, 'rpm') ?? null);
  if (values.concurrency !== undefined) {
    policy.concurrency = values.concurrency === 'none' ? null : (intFlag(values.concurrency, 'concurrency') ?? null);
  }
  if (values.expires !== undefined) policy.expiresIn = values.expires === 'never' ? null : values.expires;
  if (values.metrics) policy.metrics = true;
  if (values['no-metrics']) policy.metrics = false;
  if (values.cloud) policy.cloud = true;
  if (values['no-cloud']) policy.cloud = false;
  return policy;
}

/** `gatehouse token …`: changes go through the ControlApi, as the window's do. */
export async function tokenCommand(argv: string[], io: Output): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create': {
      const { values } = parse(rest, { ...POLICY_OPTIONS, name: { type: 'string' }, json: { type: 'boolean' } });
      if (!values.name) throw new UsageError('A token needs a name: gatehouse token create --name alice-laptop');
      const name = values.name;
      const created = await withControl(values['data-dir'], (control) => control.call('createToken', { name, ...policyFromFlags(values) }));
      const { record, token } = created;
      if (values.json) {
        const expiresAt = record.expiresAt === null ? null : new Date(record.expiresAt).toISOString();
        io.out(JSON.stringify({ id: record.id, name: record.name, token, scope: record.scope, expiresAt }));
      } else {
        io.out(`Created token "${record.name}" (${record.id}, scope ${record.scope}). Its secret:\n\n  ${token}\n`);
        io.out('Copy it now. Gatehouse keeps only a hash of it and cannot show it again.');
      }
      return 0;
    }
    case 'list': {
      const { values } = parse(rest, { ...DATA_DIR_OPTION, json: { type: 'boolean' } });
      const tokens = withStore(values['data-dir'], (store) => new TokenService(store, { actor: 'cli' }).list());
      if (values.json) io.out(JSON.stringify(tokens.map((t) => tokenJson(t))));
      else io.out(tokens.length ? tokenRows(tokens) : 'No tokens yet. Create one with: gatehouse token create --name <name>');
      return 0;
    }
    case 'update': {
      const { values, positionals } = parse(rest, POLICY_OPTIONS, 1);
      if (!positionals[0]) throw new UsageError('Say which token: gatehouse token update <id|name> --rpm 60');
      const changes = policyFromFlags(values);
      if (Object.keys(changes).length === 0) throw new UsageError('Nothing to change. ' + TOKEN_USAGE);
      const token = positionals[0];
      const updated = await withControl(values['data-dir'], (control) => control.call('updateToken', { token, changes }));
      io.out(`Updated token "${updated.name}" (${updated.id}).`);
      return 0;
    }
    case 'revoke': {
      const { values, positionals } = parse(rest, DATA_DIR_OPTION, 1);
      if (!positionals[0]) throw new UsageError('Say which token: gatehouse token revoke <id|name>');
      const token = positionals[0];
      const revoked = await withControl(values['data-dir'], (control) => control.call('revokeToken', { token }));
      io.out(`Revoked token "${revoked.name}" (${revoked.id}). A running Gatehouse refuses it within a second.`);
      return 0;
    }
    default:
      throw new UsageError(sub ? `Unknown token command "${sub}".\n${TOKEN_USAGE}` : TOKEN_USAGE);
  }
}
