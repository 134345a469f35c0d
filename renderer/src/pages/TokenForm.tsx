import { useState, type FormEvent } from 'react';
import type { Args, Results } from '../../../preload/contract';
import { api } from '../api';
import { useAction, useLoad } from '../hooks';
import { CopyButton, ErrorNote } from '../ui';
import { DEFAULT_SHARE, ShareFields, shareArgs, type ShareValues } from './ShareFields';

const EXPIRIES = [
  ['', 'Never'],
  ['24h', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
  ['365d', '1 year'],
] as const;

/** "llama3*, qwen3:8b" → the list of model names or patterns. */
export const patterns = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
// Empty: the default for new tokens from Settings.
const limitOf = (text: string) => (text.trim() === '' ? undefined : Number(text));

/** The create-a-token form; hands the created token (with its secret) to `onCreated`. */
export function TokenForm({ onCreated, submitLabel = 'Create token', defaultName = '' }: {
  onCreated: (created: Results['createToken']) => void;
  submitLabel?: string;
  defaultName?: string;
}) {
  const models = useLoad(() => api.listModels().then((m) => m.installed.map((i) => i.name)).catch(() => [] as string[]));
  const [name, setName] = useState(defaultName);
  const [scope, setScope] = useState<'inference' | 'admin'>('inference');
  const [allowed, setAllowed] = useState<string[]>([]);
  const [extraAllowed, setExtraAllowed] = useState('');
  const [denied, setDenied] = useState('');
  const [rpm, setRpm] = useState('');
  const [concurrency, setConcurrency] = useState('');
  const [expiresIn, setExpiresIn] = useState<string>('90d');
  const [metrics, setMetrics] = useState(false);
  const [cloud, setCloud] = useState(false);
  const [share, setShare] = useState<ShareValues>(DEFAULT_SHARE);
  const create = useAction((args: Args<'createToken'>) => api.createToken(args));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const created = await create.run({
      name,
      scope,
      allowModels: [...allowed, ...patterns(extraAllowed)],
      denyModels: patterns(denied),
      rpm: limitOf(rpm),
      concurrency: limitOf(concurrency),
      expiresIn: expiresIn || null,
      metrics,
      cloud,
      ...shareArgs(share),
    });
    if (created) {
      onCreated(created);
      setName('');
      setAllowed([]);
      setExtraAllowed('');
      setDenied('');
    }
  };

  const toggle = (model: string) => setAllowed((list) => (list.includes(model) ? list.filter((m) => m !== model) : [...list, model]));

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="New token">
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} placeholder="alice-laptop" autoComplete="off" />
      </label>
      <label>
        What it may do
        <select value={scope} onChange={(e) => setScope(e.target.value as 'inference' | 'admin')}>
          <option value="inference">Use models (chat, generate, embed, list)</option>
          <option value="admin">Also manage models (pull, delete, create)</option>
        </select>
      </label>
      <fieldset>
        <legend>Allowed models (none ticked: every local model)</legend>
        {models.data && models.data.length > 0 ? (
          <div className="checks">
            {models.data.map((m) => (
              <label key={m} className="check">
                <input type="checkbox" checked={allowed.includes(m)} onChange={() => toggle(m)} /> {m}
              </label>
            ))}
          </div>
        ) : (
          <p className="muted">{models.loading ? 'Loading installed models…' : 'No installed models to pick from; type names or patterns below.'}</p>
        )}
        <label>
          More names or patterns
          <input value={extraAllowed} onChange={(e) => setExtraAllowed(e.target.value)} placeholder="llama3*, qwen3:8b" />
        </label>
      </fieldset>
      <label>
        Denied models (these win over allowed)
        <input value={denied} onChange={(e) => setDenied(e.target.value)} placeholder="*:70b" />
      </label>
      <div className="row">
        <label>
          Requests per minute
          <input type="number" min={1} value={rpm} onChange={(e) => setRpm(e.target.value)} placeholder="default" />
        </label>
        <label>
          At the same time
          <input type="number" min={1} value={concurrency} onChange={(e) => setConcurrency(e.target.value)} placeholder="default" />
        </label>
        <label>
          Expires
          <select value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)}>
            {EXPIRIES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={metrics} onChange={(e) => setMetrics(e.target.checked)} /> May read Prometheus metrics (/metrics)
      </label>
      <label className="check">
        <input type="checkbox" checked={cloud} onChange={(e) => setCloud(e.target.checked)} /> May use cloud models and web search (they run on this computer&apos;s ollama.com account)
      </label>
      <ShareFields value={share} onChange={setShare} />
      <ErrorNote error={create.error} />
      <div className="row end">
        <button type="submit" className="primary" disabled={create.busy}>
          {create.busy ? 'Creating…' : submitLabel}
        </button>
      </div>
    </form>
  );
}

/** The secret, shown once, with a copy button and a plain warning. */
export function SecretOnce({ created, onDone }: { created: Results['createToken']; onDone?: () => void }) {
  return (
    <div className="note success" role="status">
      <strong>Token “{created.record.name}” created. Copy it now: it will not be shown again.</strong>
      <div className="secret row">
        <code data-testid="token-secret">{created.token}</code>
        <CopyButton text={created.token} />
      </div>
      {onDone && (
        <button type="button" onClick={onDone}>
          I have saved it
        </button>
      )}
    </div>
  );
}
