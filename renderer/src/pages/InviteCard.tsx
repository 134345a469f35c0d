import { useState, type FormEvent } from 'react';
import { DEFAULT_INVITE_LINK, DEFAULT_TOKEN_EXPIRY, type Results } from '../../../preload/contract';
import { api } from '../api';
import { ago, spanText } from '../format';
import { useAction, useEvent, useLoad } from '../hooks';
import { Card, CopyButton, ErrorNote, TableHead } from '../ui';
import { DEFAULT_POLICY, PolicyFields, policyArgs, type PolicyValues } from './PolicyFields';

/** Invite a teammate with a one-time link instead of handing over a secret; and the invites so far. */
export function InviteCard({ endpoint }: { endpoint: string }) {
  const invites = useLoad(() => api.listInvites());
  useEvent('changed', invites.reload);
  const [name, setName] = useState('');
  const [expiresIn, setExpiresIn] = useState<string>(DEFAULT_INVITE_LINK);
  const [policy, setPolicy] = useState<PolicyValues>(DEFAULT_POLICY);
  const [created, setCreated] = useState<Results['createInvite']>();
  const create = useAction(() => api.createInvite({ name, endpoint, expiresIn, policy: policyArgs(policy) }));
  const revoke = useAction((id: string) => api.revokeInvite({ id }).then(invites.reload));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const result = await create.run();
    if (result) {
      setCreated(result);
      setName('');
      invites.reload();
    }
  };

  return (
    <Card title="Invite a teammate" wide>
      <p className="muted">
        An invite is a link that works once: your teammate opens it, checks the certificate and gets their own token, without anyone reading a secret aloud.
      </p>
      <form className="form" onSubmit={(e) => void submit(e)} aria-label="New invite">
        <div className="row">
          <label>
            Their name <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} placeholder="bob-laptop" />
          </label>
          <label>
            Link works for{' '}
            <select value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)}>
              <option value="1h">1 hour</option>
              <option value="24h">1 day</option>
              <option value="7d">7 days</option>
            </select>
          </label>
        </div>
        <details>
          <summary>What their token may do (default: every local model, the default limits, expires in {spanText(DEFAULT_TOKEN_EXPIRY)})</summary>
          <PolicyFields value={policy} onChange={setPolicy} />
        </details>
        <div className="row end">
          <button type="submit" className="primary" disabled={create.busy || !endpoint}>
            Create invite
          </button>
        </div>
      </form>
      <ErrorNote error={create.error} />
      {created && (
        <div className="share">
          <img src={created.qrDataUrl} width={200} height={200} alt={`QR code of the invite for ${created.invite.name}`} data-testid="invite-qr" />
          <div>
            <p>Send this link privately to {created.invite.name}:</p>
            <p className="row">
              <code className="wrap" data-testid="invite-url">{created.url}</code> <CopyButton text={created.url} label="Copy link" />
            </p>
            <p className="muted small">Better, send the whole text: it carries the certificate fingerprint your teammate checks, and says what they will see first.</p>
            <pre className="wrap" data-testid="invite-message">{created.message}</pre>
            <CopyButton text={created.message} label="Copy the whole text" />
          </div>
        </div>
      )}
      <ErrorNote error={revoke.error} />
      {invites.data && invites.data.length > 0 && (
        <table>
          <TableHead columns={['Name', 'State', 'Expires']} actions />
          <tbody>
            {invites.data.map((i) => (
              <tr key={i.id}>
                <td>{i.name}</td>
                <td>
                  <span className={`badge ${i.state === 'pending' ? 'warn' : i.state === 'redeemed' ? 'ok' : 'bad'}`}>{i.state}</span>
                  {i.tokenName && <span className="muted small"> as token {i.tokenName}</span>}
                </td>
                <td>{ago(i.expiresAt)}</td>
                <td>
                  {i.state === 'pending' && (
                    <button type="button" className="danger small" onClick={() => void revoke.run(i.id)} aria-label={`Withdraw the invite for ${i.name}`}>
                      Withdraw
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
