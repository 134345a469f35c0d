import { useState, type FormEvent } from 'react';
import type { UpstreamView } from '../../../preload/contract';
import { api } from '../api';
import { ago } from '../format';
import { useAction, useEvent, useLoad } from '../hooks';
import { Card, Confirm, ErrorNote, Loading, TableHead } from '../ui';

function StateBadge({ host }: { host: UpstreamView }) {
  const text = host.state === 'up' ? 'up' : host.state === 'down' ? 'down' : 'not checked yet';
  return <span className={`badge ${host.state === 'up' ? 'ok' : host.state === 'down' ? 'bad' : ''}`}>{text}</span>;
}

function HostRow({ host, onRemove }: { host: UpstreamView; onRemove: () => void }) {
  const kind = host.kind === 'local' ? 'this computer' : host.kind === 'gatehouse' ? 'another Gatehouse' : 'Ollama';
  return (
    <tr data-testid={`upstream-${host.name}`}>
      <td>
        <strong>{host.name}</strong> <span className="muted small">{kind}</span>
      </td>
      <td>
        <code>{host.url}</code>
        {host.insecure && <span className="badge bad">plain http</span>}
      </td>
      <td>
        <StateBadge host={host} /> <span className="muted small">{host.since ? `since ${ago(host.since)}` : ''}</span>
        {host.error && <p className="error-text small">{host.error}</p>}
      </td>
      <td>
        {host.models.length} {host.loaded.length > 0 && <span className="muted small">({host.loaded.length} loaded)</span>}
      </td>
      <td>{host.kind === 'local' ? 'see below' : host.slots === 0 ? 'no limit' : `${host.busy} of ${host.slots}`}</td>
      <td>
        {host.kind !== 'local' && (
          <button type="button" className="danger small" onClick={onRemove} aria-label={`Remove ${host.name}`}>
            Remove
          </button>
        )}
      </td>
    </tr>
  );
}

const EMPTY = { url: '', name: '', slots: 4, token: '', caPem: '', insecure: false };

/** Settings → Ollama hosts: the machines whose Ollama this Gatehouse routes requests to, by model. */
export function Upstreams() {
  const hosts = useLoad(() => api.listUpstreams());
  const [form, setForm] = useState(EMPTY);
  const [warning, setWarning] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string>();
  useEvent('changed', (e) => (e.what === 'upstreams' || e.what === 'models') && hosts.reload());
  const add = useAction(() =>
    api.addUpstream({
      url: form.url.trim(),
      slots: form.slots,
      insecure: form.insecure,
      ...(form.name.trim() ? { name: form.name.trim() } : {}),
      ...(form.token.trim() ? { token: form.token.trim() } : {}),
      ...(form.caPem.trim() ? { caPem: form.caPem } : {}),
    }),
  );
  const remove = useAction((name: string) => api.removeUpstream({ name }).then(hosts.reload));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const added = await add.run();
    if (added) {
      setWarning(added.warning);
      setForm(EMPTY);
      hosts.reload();
    }
  };
  const readCa = (file: File | undefined) => void file?.text().then((caPem) => setForm((f) => ({ ...f, caPem })));

  return (
    <Card title="Ollama hosts">
      <p className="muted">
        Add a second GPU machine and Gatehouse sends each request to a host that has its model, preferring one where it is already loaded. Teammates keep one address and one token.
      </p>
      <ErrorNote error={hosts.error} onRetry={hosts.reload} />
      {!hosts.data ? (
        !hosts.error && <Loading what="Ollama hosts" />
      ) : (
        <table>
          <TableHead columns={['Name', 'Address', 'State', 'Models', 'Busy slots']} actions />
          <tbody>
            {hosts.data.map((h) => (
              <HostRow key={h.name} host={h} onRemove={() => setRemoving(h.name)} />
            ))}
          </tbody>
        </table>
      )}
      <ErrorNote error={remove.error} />
      <form className="grid" onSubmit={(e) => void submit(e)} aria-label="Add an Ollama host">
        <label>
          Address
          <input value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} placeholder="https://gpu2.lan:11443" required autoComplete="off" />
        </label>
        <label>
          Name (optional)
          <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="closet" autoComplete="off" />
        </label>
        <label>
          Requests it runs at once
          <input type="number" min={0} max={256} value={form.slots} onChange={(e) => setForm({ ...form, slots: Number(e.target.value) })} />
        </label>
        <label>
          Token, when it is another Gatehouse
          <input value={form.token} onChange={(e) => setForm({ ...form, token: e.target.value })} placeholder="gth_…" autoComplete="off" spellCheck={false} />
        </label>
        <label>
          Its CA file, when it is another Gatehouse with its own certificate authority
          <input type="file" accept=".pem,.crt" onChange={(e) => readCa(e.target.files?.[0])} />
        </label>
        <label className="check">
          <input type="checkbox" checked={form.insecure} onChange={(e) => setForm({ ...form, insecure: e.target.checked })} /> Allow plain http (only to an address on this network)
        </label>
        <div className="row end">
          <ErrorNote error={add.error} />
          <button type="submit" className="primary" disabled={add.busy}>
            Add host
          </button>
        </div>
      </form>
      {warning && <p role="status" className="error-text">{warning}</p>}
      <Confirm
        open={removing !== undefined}
        title={`Remove the host ${removing ?? ''}?`}
        confirmLabel="Remove host"
        danger
        onCancel={() => setRemoving(undefined)}
        onConfirm={() => {
          if (removing) void remove.run(removing);
          setRemoving(undefined);
        }}
      >
        <p>Requests stop going there. Its models stay on that machine.</p>
      </Confirm>
    </Card>
  );
}
