import { useState, type FormEvent } from 'react';
import type { Args, Results } from '../../../preload/contract';
import { api } from '../api';
import { useAction } from '../hooks';
import { CopyButton, ErrorNote } from '../ui';
import { DEFAULT_POLICY, PolicyFields, policyArgs, type PolicyValues } from './PolicyFields';

/** The create-a-token form; hands the created token (with its secret) to `onCreated`. */
export function TokenForm({ onCreated, submitLabel = 'Create token', defaultName = '' }: {
  onCreated: (created: Results['createToken']) => void;
  submitLabel?: string;
  defaultName?: string;
}) {
  const [name, setName] = useState(defaultName);
  const [policy, setPolicy] = useState<PolicyValues>(DEFAULT_POLICY);
  const [ollamaKeys, setOllamaKeys] = useState('');
  const create = useAction((args: Args<'createToken'>) => api.createToken(args));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const keys = ollamaKeys.split('\n').map((l) => l.trim()).filter(Boolean);
    const created = await create.run({ name, ...policyArgs(policy), ...(keys.length ? { ollamaKeys: keys } : {}) });
    if (created) {
      onCreated(created);
      setName('');
      setOllamaKeys('');
      setPolicy((p) => ({ ...p, allowed: [], extraAllowed: '', denied: '' }));
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="New token">
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} placeholder="alice-laptop" autoComplete="off" />
      </label>
      <PolicyFields value={policy} onChange={setPolicy} />
      <label>
        The ollama command&apos;s key (optional: lets <code>ollama run</code> on their computer use this token)
        <textarea
          rows={2}
          value={ollamaKeys}
          onChange={(e) => setOllamaKeys(e.target.value)}
          placeholder="ssh-ed25519 AAAA… bob@laptop  (what cat ~/.ollama/id_ed25519.pub prints)"
          spellCheck={false}
        />
      </label>
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
