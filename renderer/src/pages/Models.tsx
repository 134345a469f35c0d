import { useState, type FormEvent } from 'react';
import type { InstalledModel, PullJob } from '../../../preload/contract';
import { api } from '../api';
import { ago, bytes } from '../format';
import { useAction, useEvent, useLoad } from '../hooks';
import { Card, Confirm, Empty, ErrorNote, Loading, Progress, TableHead } from '../ui';

function PullRow({ job, onCancel }: { job: PullJob; onCancel: () => void }) {
  const p = job.progress;
  const detail =
    job.state === 'pulling'
      ? `${p.percent.toFixed(1)} %${p.total ? ` of ${bytes(p.total)}` : ''}${p.bytesPerSecond ? ` · ${bytes(p.bytesPerSecond)}/s` : ''}${p.etaSeconds ? ` · ${p.etaSeconds} s left` : ''} · ${p.status}`
      : job.state === 'done'
        ? 'Done'
        : job.state === 'cancelled'
          ? 'Cancelled. Ollama keeps what it downloaded and resumes next time.'
          : (job.error ?? 'Failed');
  return (
    <li className="pull" data-testid={`pull-${job.model}`}>
      <div className="row">
        <strong>{job.model}</strong>
        <span className={job.state === 'failed' ? 'error-text' : 'muted'}>{detail}</span>
        {job.state === 'pulling' && (
          <button type="button" className="small" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      <Progress percent={job.state === 'done' ? 100 : p.percent} label={`Download of ${job.model}`} />
    </li>
  );
}

/** With several Ollama hosts: which one the page shows and pulls to. */
function HostPicker({ on, setOn }: { on: string; setOn: (name: string) => void }) {
  const hosts = useLoad(() => api.listUpstreams());
  useEvent('changed', (e) => e.what === 'upstreams' && hosts.reload());
  if (!hosts.data || hosts.data.length < 2) return null;
  return (
    <Card title="Ollama host">
      <label>
        Show and manage the models of
        <select value={on} onChange={(e) => setOn(e.target.value)}>
          {hosts.data.map((h) => (
            <option key={h.name} value={h.name}>
              {h.name === 'local' ? 'this computer (local)' : h.name} {h.state === 'down' ? '(down)' : ''}
            </option>
          ))}
        </select>
      </label>
    </Card>
  );
}

export function Models() {
  const [on, setOn] = useState('local');
  const models = useLoad(() => api.listModels({ on }), [on]);
  const [pulls, setPulls] = useState<Record<string, PullJob>>({});
  const [name, setName] = useState('');
  const [deleting, setDeleting] = useState<InstalledModel>();
  useEvent('pull', (job) => {
    setPulls((all) => ({ ...all, [`${job.on}/${job.model}`]: job }));
    if (job.state === 'done' && job.on === on) models.reload();
  });
  useEvent('changed', (e) => e.what === 'models' && models.reload());
  const pull = useAction((model: string) => api.pullModel({ model, on }));
  const cancel = useAction((model: string) => api.cancelPull({ model, on }));
  const remove = useAction((model: string) => api.deleteModel({ model, on }).then(models.reload));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const job = await pull.run(name.trim());
    if (job) {
      setPulls((all) => ({ ...all, [`${job.on}/${job.model}`]: job }));
      setName('');
    }
  };

  const jobs = Object.values({ ...Object.fromEntries((models.data?.pulls ?? []).map((j) => [`${j.on}/${j.model}`, j])), ...pulls }).filter((j) => j.on === on);
  const loaded = new Set(models.data?.running.map((r) => r.name));
  return (
    <>
      <HostPicker on={on} setOn={setOn} />
      <Card title="Download a model">
        <form className="row" onSubmit={(e) => void submit(e)}>
          <label className="grow">
            Model name from ollama.com/library
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="llama3.2, qwen3:8b, gemma3:4b" required autoComplete="off" />
          </label>
          <button type="submit" className="primary" disabled={pull.busy}>
            Pull
          </button>
        </form>
        <ErrorNote error={pull.error} />
        <ErrorNote error={cancel.error} />
        {jobs.length > 0 && (
          <ul className="plain">
            {jobs.map((job) => (
              <PullRow key={job.model} job={job} onCancel={() => void cancel.run(job.model)} />
            ))}
          </ul>
        )}
      </Card>

      <Card title="Installed">
        <ErrorNote error={models.error} onRetry={models.reload} />
        <ErrorNote error={remove.error} />
        {!models.data ? (
          !models.error && <Loading what="models" />
        ) : models.data.installed.length === 0 ? (
          <Empty>No models yet. Download one above, for example llama3.2.</Empty>
        ) : (
          <table>
            <TableHead columns={['Name', 'Size', 'Family', 'Parameters', 'Quantisation', 'Modified']} actions />
            <tbody>
              {models.data.installed.map((m) => (
                <tr key={m.name}>
                  <td>
                    <strong>{m.name}</strong> {loaded.has(m.name) && <span className="badge ok">loaded</span>}
                  </td>
                  <td>{bytes(m.size)}</td>
                  <td>{m.family ?? '–'}</td>
                  <td>{m.parameterSize ?? '–'}</td>
                  <td>{m.quantization ?? '–'}</td>
                  <td>{m.modifiedAt ? ago(Date.parse(m.modifiedAt)) : '–'}</td>
                  <td>
                    <button type="button" className="danger small" onClick={() => setDeleting(m)} aria-label={`Delete ${m.name}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>

      {models.data && models.data.running.length > 0 && (
        <Card title="In memory now">
          <ul className="plain">
            {models.data.running.map((r) => (
              <li key={r.name}>
                <strong>{r.name}</strong> <span className="muted">{bytes(r.sizeVram)} on the GPU of {bytes(r.size)}{r.expiresAt ? `, unloads ${ago(Date.parse(r.expiresAt))}` : ''}</span>
              </li>
            ))}
          </ul>
        </Card>
      )}

      <Confirm
        open={deleting !== undefined}
        title={`Delete ${deleting?.name ?? ''}?`}
        confirmLabel="Delete model"
        danger
        onCancel={() => setDeleting(undefined)}
        onConfirm={() => {
          if (deleting) void remove.run(deleting.name);
          setDeleting(undefined);
        }}
      >
        <p>It frees {deleting ? bytes(deleting.size) : ''}. Anyone using it gets an error until it is pulled again.</p>
      </Confirm>
    </>
  );
}
