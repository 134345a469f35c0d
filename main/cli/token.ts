import type { Command } from 'commander';
import type { Args } from '../../preload/contract';
import { DEFAULT_TOKEN_EXPIRY, tokenScope } from '../../preload/rules';
import { Budgets } from '../auth/budgets';
import { TokenService } from '../auth/tokens';
import { parseArgument, UsageError } from '../errors';
import { intFlag, listFlag, numberFlag } from './args';
import { withControl, withStore, type Output } from './context';
import { tokenJson, tokenRows } from './format';
import { action, command, dataDirOption, runCommand, type Ran } from './program';

/** A token's policy as flags, for `token create`, `token update` and `invite create`. */
export interface PolicyFlags {
  dataDir?: string;
  scope?: string;
  models?: string;
  deny?: string;
  rpm?: string;
  concurrency?: string;
  expires?: string;
  metrics?: boolean;
  cloud?: boolean;
  web?: boolean;
  weight?: string;
  priority?: string;
  queue?: string;
  dailyTokens?: string;
  monthlyTokens?: string;
  /** Repeated --ollama-key lines; `clear` when --no-ollama-key came before them; false when it came last. */
  ollamaKey?: OllamaKeyFlags | false;
}

interface OllamaKeyFlags {
  clear: boolean;
  lines: string[];
}
const collectKey = (line: string, previous: OllamaKeyFlags | false | undefined): OllamaKeyFlags =>
  previous === false ? { clear: true, lines: [line] } : { clear: previous?.clear ?? false, lines: [...(previous?.lines ?? []), line] };

/** Declares the policy flags once; `update` also takes their negations and `none`/`never`. */
export function withPolicyOptions(cmd: Command, update = false, ollamaKeys = true): Command {
  cmd
    .addOption(dataDirOption())
    .option('--scope <scope>', 'inference (run models, the default) or admin (also pull, push, create, copy, delete)')
    .option('--models <patterns>', 'the only models it may use, comma-separated (llama3.2,qwen*)')
    .option('--deny <patterns>', 'models it may not use, comma-separated')
    .option('--rpm <n>', `requests per minute${update ? ' (none: no limit)' : ''}`)
    .option('--concurrency <n>', `requests running at once${update ? ' (none: no limit)' : ''}`)
    .option('--expires <when>', `30d, 12h, a date such as 2027-01-31, or never${update ? '' : ` (default ${DEFAULT_TOKEN_EXPIRY})`}`)
    .option('--metrics', 'may read /metrics (for Prometheus)')
    .option('--cloud', "may use cloud models (name:cloud, …-cloud) and web search/fetch, which run on this computer's ollama.com account")
    .option('--web', 'may sign in to the web app Gatehouse guards (gatehouse webapp set)')
    .option('--weight <n>', 'its share of the GPU against other busy tokens (default 1; 2 gets twice the share)')
    .option('--priority <p>', 'interactive (the default) or batch (waits while interactive requests do)')
    .option('--queue <n>', 'requests it may have waiting for the GPU (default 16)')
    .option('--daily-tokens <n>', `prompt + completion tokens per day, from local midnight${update ? ' (none: no budget)' : ''}`)
    .option('--monthly-tokens <n>', `prompt + completion tokens per month, from the 1st${update ? ' (none: no budget)' : ''}`);
  if (ollamaKeys) cmd.option('--ollama-key <line>', 'the public key of an ollama command that acts as this token (the line of ~/.ollama/id_ed25519.pub); repeatable', collectKey);
  if (update) {
    cmd
      .option('--no-metrics', 'may no longer read /metrics')
      .option('--no-cloud', 'may no longer use cloud models')
      .option('--no-web', 'may no longer sign in to the web app')
      .option('--no-ollama-key', 'removes every ollama key of the token (then adds one given after it with --ollama-key)');
  }
  return cmd;
}

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
  if (values.metrics !== undefined) policy.metrics = values.metrics;
  if (values.cloud !== undefined) policy.cloud = values.cloud;
  if (values.web !== undefined) policy.web = values.web;
  if (values.weight !== undefined) policy.weight = numberFlag(values.weight, 'weight');
  if (values.priority !== undefined) policy.priority = values.priority as 'interactive' | 'batch';
  if (values.queue !== undefined) policy.queue = numberFlag(values.queue, 'queue');
  if (values.dailyTokens !== undefined) policy.dailyTokens = values.dailyTokens === 'none' ? null : (intFlag(values.dailyTokens, 'daily-tokens') ?? null);
  if (values.monthlyTokens !== undefined) policy.monthlyTokens = values.monthlyTokens === 'none' ? null : (intFlag(values.monthlyTokens, 'monthly-tokens') ?? null);
  return policy;
}

async function create(values: PolicyFlags & { name?: string; json?: boolean }, io: Output): Promise<number> {
  if (!values.name) throw new UsageError('A token needs a name: gatehouse token create --name alice-laptop');
  const name = values.name;
  const ollamaKeys = values.ollamaKey ? values.ollamaKey.lines : [];
  const { record, token } = await withControl(values.dataDir, (control) => control.call('createToken', { name, ...policyFromFlags(values), ...(ollamaKeys.length ? { ollamaKeys } : {}) }), {}, io);
  if (values.json) {
    const expiresAt = record.expiresAt === null ? null : new Date(record.expiresAt).toISOString();
    io.out(JSON.stringify({ id: record.id, name: record.name, token, scope: record.scope, expiresAt }));
  } else {
    io.out(`Created token "${record.name}" (${record.id}, scope ${record.scope}). Its secret:\n\n  ${token}\n`);
    for (const key of record.ollamaKeys) io.out(`The ollama key ${key.fingerprint} ${key.comment} acts as it too (OLLAMA_AUTH=1).`);
    io.out('Copy it now. Gatehouse keeps only a hash of it and cannot show it again.');
  }
  return 0;
}

async function update(token: string | undefined, values: PolicyFlags, io: Output): Promise<number> {
  if (!token) throw new UsageError('Say which token: gatehouse token update <id|name> --rpm 60');
  const keys = values.ollamaKey;
  const changes: Args<'updateToken'>['changes'] = { ...policyFromFlags(values), ...(keys === false || keys?.clear ? { removeOllamaKeys: true as const } : {}) };
  if (keys && keys.lines.length > 1) throw new UsageError('token update adds one ollama key at a time.');
  if (keys && keys.lines[0] !== undefined) changes.addOllamaKey = keys.lines[0];
  if (Object.keys(changes).length === 0) throw new UsageError('Nothing to change: give the flags to change, such as --rpm 60. See: gatehouse token update --help');
  const updated = await withControl(values.dataDir, (control) => control.call('updateToken', { token, changes }), {}, io);
  io.out(`Updated token "${updated.name}" (${updated.id}).`);
  return 0;
}

/** `gatehouse token …`: changes go through the ControlApi, as the window's do. */
export function tokenGroup(io: Output, ran: Ran): Command {
  const group = command('token', 'manage API tokens');
  withPolicyOptions(group.command('create').description('issue a token; its secret is shown once').option('--name <name>', 'who or what it is for, such as alice-laptop'))
    .option('--json', 'print the token as JSON')
    .action(action(ran, (values: PolicyFlags & { name?: string; json?: boolean }) => create(values, io)));
  group
    .command('list')
    .description('every token with its policy (never a secret)')
    .addOption(dataDirOption())
    .option('--json', 'as JSON')
    .action(
      action(ran, (values: { dataDir?: string; json?: boolean }) => {
        const { tokens, used } = withStore(values.dataDir, (store) => {
          const list = new TokenService(store, { actor: 'cli' }).list();
          const budgets = Budgets.overStore((since) => store.metering.hourlySince(since));
          return { tokens: list, used: new Map(list.map((t) => [t.id, budgets.used(t.id)])) };
        });
        const spent = (id: string) => used.get(id) ?? { day: 0, month: 0 };
        if (values.json) io.out(JSON.stringify(tokens.map((t) => ({ ...tokenJson(t), spent: spent(t.id) }))));
        else io.out(tokens.length ? tokenRows(tokens, Date.now(), spent) : 'No tokens yet. Create one with: gatehouse token create --name <name>');
        return 0;
      }),
    );
  withPolicyOptions(group.command('update').description("change a token's policy; what is not given stays").argument('[token]', 'its id or name'), true).action(
    action(ran, (token: string | undefined, values: PolicyFlags) => update(token, values, io)),
  );
  group
    .command('revoke')
    .description('revoke a token; a running Gatehouse refuses it within a second')
    .argument('[token]', 'its id or name')
    .addOption(dataDirOption())
    .action(
      action(ran, async (token: string | undefined, values: { dataDir?: string }) => {
        if (!token) throw new UsageError('Say which token: gatehouse token revoke <id|name>');
        const revoked = await withControl(values.dataDir, (control) => control.call('revokeToken', { token }), {}, io);
        io.out(`Revoked token "${revoked.name}" (${revoked.id}). A running Gatehouse refuses it within a second.`);
        return 0;
      }),
    );
  return group;
}

export function tokenCommand(argv: string[], io: Output): Promise<number> {
  const ran = { code: 0 };
  return runCommand(tokenGroup(io, ran), argv, io, ran);
}
