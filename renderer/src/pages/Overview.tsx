import { useState } from 'react';
import type { LiveRequest, OllamaStatus, Overview as OverviewData } from '../../../preload/contract';
import { api } from '../api';
import { ago, count } from '../format';
import { useAction, useEvent, useLoad } from '../hooks';
import { Card, CopyButton, ErrorNote, Loading, Stat, TableHead } from '../ui';
import { OllamaCard } from './OllamaCard';
import { QueueCard } from './QueueCard';

export function Overview() {
  const overview = useLoad(() => api.getOverview());
  const [live, setLive] = useState<LiveRequest[]>();
  const [ollama, setOllama] = useState<OllamaStatus | null>();
  useEvent('live', setLive);
  useEvent('ollama', setOllama);
  useEvent('changed', overview.reload);
  const pause = useAction((paused: boolean) => api.setPaused({ paused }).then(overview.reload));

  if (!overview.data) return overview.error ? <ErrorNote error={overview.error} onRetry={overview.reload} /> : <Loading what="the overview" />;
  const data: OverviewData = overview.data;
  const requests = live ?? data.live;
  // Bound to loopback, "on" reaches nobody else: say so instead of promising teammates access.
  const thisComputerOnly = data.endpoints.length > 0 && data.endpoints.every((e) => e.label === 'This computer only');
  const ollamaStatus = ollama === undefined ? data.ollama : ollama;

  return (
    <div className="grid">
      <Card title="Remote access">
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            checked={!data.paused}
            disabled={pause.busy}
            onChange={(e) => void pause.run(!e.target.checked)}
          />
          <span>{data.paused ? 'Paused: only this computer can use Ollama' : thisComputerOnly ? 'On, but Gatehouse listens on this computer only' : 'On: teammates with a token can use Ollama'}</span>
        </label>
        {thisComputerOnly && !data.paused && (
          <p className="muted" role="note">
            Teammates cannot reach it. To share, set <strong>Listen on</strong> to “Every network” in Settings and restart Gatehouse.
          </p>
        )}
        <ErrorNote error={pause.error} />
      </Card>

      <OllamaCard status={ollamaStatus} />

      <QueueCard />

      <Card title="Today">
        <div className="stats">
          <Stat label="requests" value={count(data.today.requests)} />
          <Stat label="errors" value={count(data.today.errors)} />
          <Stat label="tokens in" value={count(data.today.tokensIn)} />
          <Stat label="tokens out" value={count(data.today.tokensOut)} />
          <Stat label="active API tokens" value={count(data.activeTokens)} />
        </div>
      </Card>

      <Card title="Addresses">
        {data.endpoints.length === 0 ? (
          <p className="muted">The gateway is not listening yet.</p>
        ) : (
          <ul className="plain">
            {data.endpoints.map((e) => (
              <li key={e.url} className="row">
                <code>{e.url}</code> <span className="muted">{e.label}</span> <CopyButton text={e.url} />
              </li>
            ))}
          </ul>
        )}
        {data.tls && (
          <p className="fingerprint">
            {data.tls.caFingerprint ? 'Certificate authority' : 'Certificate'} SHA-256:{' '}
            <code>{data.tls.caFingerprint ?? data.tls.leafFingerprint}</code>
          </p>
        )}
        {data.tls?.source === 'tailscale' && <p className="muted small">Tailscale&apos;s certificate for {data.tls.name}: teammates in your tailnet need nothing installed.</p>}
        {data.tls?.source === 'acme' && <p className="muted small">A publicly trusted certificate for {data.tls.name}: teammates need nothing installed.</p>}
        {data.tls?.warning && (
          <p className="warn" role="alert">
            {data.tls.warning}
          </p>
        )}
      </Card>

      <Card title={`In flight (${requests.length})`}>
        {requests.length === 0 ? (
          <p className="muted">No requests are running right now.</p>
        ) : (
          <table>
            <TableHead columns={['Token', 'Model', 'Route', 'From', 'Started']} />
            <tbody>
              {requests.map((r) => (
                <tr key={r.id}>
                  <td>{r.tokenName ?? 'this computer'}</td>
                  <td>{r.model ?? '–'}</td>
                  <td>
                    <code>{r.route}</code>
                  </td>
                  <td>{r.ip}</td>
                  <td>{ago(r.at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
