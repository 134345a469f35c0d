import { DEFAULT_INVITE_LINK } from '../../preload/rules';
import { UsageError } from '../errors';
import type { Command } from 'commander';
import { withControl, type Output } from './context';
import { table, when } from './format';
import { action, command, dataDirOption, runCommand, type Ran } from './program';
import { policyFromFlags, withPolicyOptions, type PolicyFlags } from './token';

type CreateFlags = PolicyFlags & { name?: string; endpoint?: string; linkExpires?: string; json?: boolean };

async function create(values: CreateFlags, io: Output): Promise<number> {
  if (!values.name) throw new UsageError('An invite needs a name: gatehouse invite create --name bob-laptop');
  const { linkExpires, ...policyFlags } = values;
  const name = values.name;
  return withControl(values.dataDir, async (control) => {
    const endpoints = (await control.call('getShareInfo', {})).endpoints;
    const endpoint = values.endpoint ?? endpoints.find((e) => !e.label.startsWith('This computer'))?.url ?? endpoints[0]?.url;
    if (!endpoint) throw new UsageError('Gatehouse has no address to put in the link.', 'Give one with --endpoint https://<address>:<port>');
    const created = await control.call('createInvite', { name, endpoint, ...(linkExpires ? { expiresIn: linkExpires } : {}), policy: policyFromFlags(policyFlags) });
    if (values.json) {
      io.out(JSON.stringify({ id: created.invite.id, url: created.url, expiresAt: new Date(created.invite.expiresAt).toISOString() }));
    } else {
      io.out(`Invite ${created.invite.id} for "${name}", valid until ${new Date(created.invite.expiresAt).toLocaleString()}, good once:\n\n  ${created.url}\n`);
      io.out('Send it privately. The part after # is the secret; it never reaches a server log.');
      io.out(`\nOr send this text, which also carries the certificate fingerprint to check:\n\n${created.message}`);
    }
    return 0;
  }, {}, io);
}

/** `gatehouse invite …`: one-time links a teammate opens to get a token with the policy chosen here. */
export function inviteGroup(io: Output, ran: Ran): Command {
  const group = command('invite', 'one-time links that give a teammate a token');
  withPolicyOptions(group.command('create').description('a link that gives whoever opens it first a token with this policy').option('--name <name>', 'the name the token will have, such as bob-laptop'), false, false)
    .option('--link-expires <span>', `how long the link works, such as 1h or 7d (default ${DEFAULT_INVITE_LINK})`)
    .option('--endpoint <url>', 'the address the teammate will use (default: the first network address)')
    .option('--json', 'as JSON')
    .action(action(ran, (values: CreateFlags) => create(values, io)));
  group
    .command('list')
    .description('every invite and what became of it')
    .addOption(dataDirOption())
    .option('--json', 'as JSON')
    .action(
      action(ran, (values: { dataDir?: string; json?: boolean }) =>
        withControl(values.dataDir, async (control) => {
          const list = await control.call('listInvites', {});
          if (values.json) io.out(JSON.stringify(list));
          else io.out(list.length ? table(['ID', 'NAME', 'STATE', 'EXPIRES', 'TOKEN'], list.map((i) => [i.id, i.name, i.state, when(i.expiresAt), i.tokenName ?? '-'])) : 'No invites yet: gatehouse invite create --name <name>');
          return 0;
        }, {}, io),
      ),
    );
  group
    .command('revoke')
    .description('withdraw an invite that was not used yet')
    .argument('[id]', 'the invite (inv_…)')
    .addOption(dataDirOption())
    .action(
      action(ran, async (id: string | undefined, values: { dataDir?: string }) => {
        if (!id) throw new UsageError('Say which invite: gatehouse invite revoke inv_…');
        const invite = await withControl(values.dataDir, (control) => control.call('revokeInvite', { id }), {}, io);
        io.out(`Invite ${invite.id} for "${invite.name}" is ${invite.state === 'revoked' ? 'withdrawn: its link no longer works' : invite.state}.`);
        return 0;
      }),
    );
  return group;
}

export function inviteCommand(argv: string[], io: Output): Promise<number> {
  const ran = { code: 0 };
  return runCommand(inviteGroup(io, ran), argv, io, ran);
}
