import { UsageError } from '../errors';
import { DATA_DIR_OPTION, parse } from './args';
import { withControl, type Output } from './context';
import { table, when } from './format';
import { POLICY_OPTIONS, policyFromFlags } from './token';

export const INVITE_USAGE = `Usage:
  gatehouse invite create --name N [--expires 24h] [--endpoint URL] [token policy flags as for token create] [--json]
  gatehouse invite list [--json]
  gatehouse invite revoke <id>`;

/** `gatehouse invite …`: one-time links a teammate opens to get a token with the policy chosen here. */
export async function inviteCommand(argv: string[], io: Output): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create': {
      const { values } = parse(rest, { ...POLICY_OPTIONS, name: { type: 'string' }, endpoint: { type: 'string' }, json: { type: 'boolean' } });
      if (!values.name) throw new UsageError('An invite needs a name: gatehouse invite create --name bob-laptop');
      const { expires, ...policyFlags } = values;
      const name = values.name;
      return withControl(values['data-dir'], async (control) => {
        const endpoints = (await control.call('getShareInfo', {})).endpoints;
        const endpoint = values.endpoint ?? endpoints.find((e) => !e.label.startsWith('This computer'))?.url ?? endpoints[0]?.url;
        if (!endpoint) throw new UsageError('Gatehouse has no address to put in the link.', 'Give one with --endpoint https://<address>:<port>');
        const created = await control.call('createInvite', { name, endpoint, ...(expires ? { expiresIn: expires } : {}), policy: policyFromFlags(policyFlags) });
        if (values.json) {
          io.out(JSON.stringify({ id: created.invite.id, url: created.url, expiresAt: new Date(created.invite.expiresAt).toISOString() }));
        } else {
          io.out(`Invite ${created.invite.id} for "${name}", valid until ${new Date(created.invite.expiresAt).toLocaleString()}, good once:\n\n  ${created.url}\n`);
          io.out('Send it privately. The part after # is the secret; it never reaches a server log.');
          io.out(`\nOr send this text, which also carries the certificate fingerprint to check:\n\n${created.message}`);
        }
        return 0;
      });
    }
    case 'list': {
      const { values } = parse(rest, { ...DATA_DIR_OPTION, json: { type: 'boolean' } });
      return withControl(values['data-dir'], async (control) => {
        const list = await control.call('listInvites', {});
        if (values.json) io.out(JSON.stringify(list));
        else io.out(list.length ? table(['ID', 'NAME', 'STATE', 'EXPIRES', 'TOKEN'], list.map((i) => [i.id, i.name, i.state, when(i.expiresAt), i.tokenName ?? '-'])) : 'No invites yet: gatehouse invite create --name <name>');
        return 0;
      });
    }
    case 'revoke': {
      const { values, positionals } = parse(rest, DATA_DIR_OPTION, 1);
      const id = positionals[0];
      if (!id) throw new UsageError('Say which invite: gatehouse invite revoke inv_…');
      const invite = await withControl(values['data-dir'], (control) => control.call('revokeInvite', { id }));
      io.out(`Invite ${invite.id} for "${invite.name}" is ${invite.state === 'revoked' ? 'withdrawn: its link no longer works' : invite.state}.`);
      return 0;
    }
    default:
      throw new UsageError(sub ? `Unknown invite command "${sub}".\n${INVITE_USAGE}` : INVITE_USAGE);
  }
}
