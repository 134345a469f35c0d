import { useState } from 'react';
import type { Results, TokenView } from '../../../preload/contract';
import { api } from '../api';
import { ago, count } from '../format';
import { useAction, useEvent, useLoad } from '../hooks';
import { Card, Confirm, Empty, ErrorNote, Loading, TableHead } from '../ui';
import { SecretOnce, TokenForm } from './TokenForm';

function status(t: TokenView): { label: string; tone: 'ok' | 'bad' | 'warn' } {
  if (t.revokedAt) return { label: 'revoked', tone: 'bad' };
  if (t.expiresAt && t.expiresAt <= Date.now()) return { label: 'expired', tone: 'bad' };
  if (t.expiresAt && t.expiresAt - Date.now() < 7 * 86_400_000) return { label: `expires ${ago(t.expiresAt)}`, tone: 'warn' };
  return { label: 'active', tone: 'ok' };
}

function policy(t: TokenView): string {
  const parts = [t.scope === 'admin' ? 'use + manage models' : 'use models'];
  parts.push(t.allowModels.length ? `only ${t.allowModels.join(', ')}` : 'all models');
  if (t.denyModels.length) parts.push(`not ${t.denyModels.join(', ')}`);
  if (t.rpm) parts.push(`${t.rpm}/min`);
  if (t.concurrency) parts.push(`${t.concurrency} at once`);
  if (t.metrics) parts.push('metrics');
  if (t.cloud) parts.push('cloud');
  if (t.web) parts.push('web app');
  if (t.priority === 'batch') parts.push('batch');
  if (t.weight !== 1) parts.push(`GPU share ${t.weight}×`);
  if (t.dailyTokens) parts.push(`${count(t.spent.day)} of ${count(t.dailyTokens)} tokens today`);
  if (t.monthlyTokens) parts.push(`${count(t.spent.month)} of ${count(t.monthlyTokens)} tokens this month`);
  return parts.join(' · ');
}

export function Tokens() {
  const tokens = useLoad(() => api.listTokens());
  useEvent('changed', (e) => e.what === 'tokens' && tokens.reload());
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Results['createToken']>();
  const [revoking, setRevoking] = useState<TokenView>();
  const [showRevoked, setShowRevoked] = useState(false);
  const revoke = useAction((id: string) => api.revokeToken({ token: id }).then(tokens.reload));

  const list = (tokens.data ?? []).filter((t) => showRevoked || !t.revokedAt);
  return (
    <>
      {created && <SecretOnce created={created} onDone={() => setCreated(undefined)} />}
      <Card
        title="API tokens"
        actions={
          <button type="button" className="primary" onClick={() => setCreating((c) => !c)} aria-expanded={creating}>
            {creating ? 'Close' : 'New token'}
          </button>
        }
      >
        {creating && (
          <TokenForm
            onCreated={(c) => {
              setCreated(c);
              setCreating(false);
              tokens.reload();
            }}
          />
        )}
        <ErrorNote error={tokens.error} onRetry={tokens.reload} />
        <ErrorNote error={revoke.error} />
        {!tokens.data ? (
          !tokens.error && <Loading what="tokens" />
        ) : list.length === 0 ? (
          <Empty>
            No tokens yet, so nobody can use this Gatehouse from another computer. Create one for each person or app with <em>New token</em>.
          </Empty>
        ) : (
          <table>
            <TableHead columns={['Name', 'May', 'Last used', 'Expires', 'Last 30 days', 'Status']} actions />
            <tbody>
              {list.map((t) => {
                const s = status(t);
                return (
                  <tr key={t.id}>
                    <td>
                      <strong>{t.name}</strong>
                      <div className="muted small">
                        <code>{t.hint}</code>
                      </div>
                      {t.ollamaKeys.map((k) => (
                        <div key={k.fingerprint} className="muted small" title={`ollama key added ${new Date(k.addedAt).toLocaleString()}`}>
                          ollama key <code>{k.fingerprint.slice(0, 19)}…</code> {k.comment}
                        </div>
                      ))}
                    </td>
                    <td className="small">{policy(t)}</td>
                    <td>{ago(t.lastUsedAt)}</td>
                    <td>{t.expiresAt === null ? 'never' : ago(t.expiresAt)}</td>
                    <td className="small">
                      {count(t.usage.requests)} requests
                      <div className="muted">
                        {count(t.usage.tokensIn)} in · {count(t.usage.tokensOut)} out
                      </div>
                    </td>
                    <td>
                      <span className={`badge ${s.tone}`}>{s.label}</span>
                    </td>
                    <td>
                      {!t.revokedAt && (
                        <button type="button" className="danger small" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <label className="check">
          <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} /> Show revoked tokens
        </label>
      </Card>
      <Confirm
        open={revoking !== undefined}
        title={`Revoke “${revoking?.name ?? ''}”?`}
        confirmLabel="Revoke token"
        danger
        onCancel={() => setRevoking(undefined)}
        onConfirm={() => {
          if (revoking) void revoke.run(revoking.id);
          setRevoking(undefined);
        }}
      >
        <p>Apps using it stop working within a second. This cannot be undone; you can create a new token instead.</p>
      </Confirm>
    </>
  );
}
