import { useEffect, useState, type FormEvent } from 'react';
import type { Settings as SettingsData } from '../../../preload/contract';
import { api, inDesktopApp } from '../api';
import { useAction, useLoad } from '../hooks';
import { Card, ErrorNote, Loading } from '../ui';
import { Certificate } from './Certificate';
import { RemoteAdmin } from './RemoteAdmin';
import { Upstreams } from './Upstreams';

type Field = {
  key: keyof SettingsData;
  label: string;
  help?: string;
  type: 'text' | 'number' | 'bool' | 'select';
  options?: Array<[string, string]>;
  /** Shown only when this holds for the values on screen. */
  when?: (value: (key: keyof SettingsData) => unknown) => boolean;
};

const GROUPS: Array<{ title: string; fields: Field[] }> = [
  {
    title: 'Network',
    fields: [
      { key: 'host', label: 'Listen on', type: 'select', options: [['0.0.0.0', 'Every network (share with teammates)'], ['127.0.0.1', 'This computer only']] },
      { key: 'port', label: 'Port', type: 'number' },
      { key: 'upstream', label: 'Ollama address', type: 'text', help: 'Where Ollama listens. Keep it on 127.0.0.1.' },
    ],
  },
  {
    title: 'Certificate',
    fields: [
      { key: 'tlsMode', label: 'Certificate', type: 'select', options: [['local-ca', "Gatehouse's own certificate authority"], ['tailscale', "Tailscale's certificate (teammates in the tailnet install nothing)"], ['acme', "Let's Encrypt's for my domain (get it in Certificate above)"], ['custom', 'My own certificate files']] },
      { key: 'tlsCertFile', label: 'Certificate file (PEM)', type: 'text', when: (v) => v('tlsMode') === 'custom' },
      { key: 'tlsKeyFile', label: 'Private key file (PEM)', type: 'text', when: (v) => v('tlsMode') === 'custom' },
    ],
  },
  {
    title: 'Web app',
    fields: [
      { key: 'webappUpstream', label: 'Web app address on this computer (empty: none)', type: 'text', help: 'Such as http://127.0.0.1:3000 for Open WebUI. Teammates open it with a token that may use the web app.' },
      { key: 'webappPort', label: 'Port teammates open', type: 'number', when: (v) => v('webappUpstream') !== '' },
      { key: 'webappTrustedHeader', label: 'Tell the app who signed in', type: 'select', options: [['off', 'No'], ['email', 'X-Trusted-User-Email (Open WebUI)'], ['name', 'X-Trusted-User-Name']], when: (v) => v('webappUpstream') !== '' },
    ],
  },
  {
    title: 'Sharing the GPU',
    fields: [
      { key: 'upstreamSlots', label: 'Requests Ollama runs at once (0: no queue in Gatehouse)', type: 'number', help: 'Match OLLAMA_NUM_PARALLEL. More requests wait here and are served fairly between tokens.' },
      { key: 'queueTimeoutSeconds', label: 'Longest wait for a free slot (seconds)', type: 'number' },
      { key: 'batchMaxWaitSeconds', label: 'Longest wait of a batch token behind interactive ones (seconds)', type: 'number' },
    ],
  },
  {
    title: 'Defaults for new tokens',
    fields: [
      { key: 'defaultRpm', label: 'Requests per minute (0: no limit)', type: 'number' },
      { key: 'defaultConcurrency', label: 'Requests at the same time (0: no limit)', type: 'number' },
    ],
  },
  {
    title: 'Security',
    fields: [
      { key: 'trustLoopback', label: 'Let apps on this computer in without a token', type: 'bool' },
      { key: 'lockoutThreshold', label: 'Wrong tokens before an address is locked out', type: 'number' },
      { key: 'lockoutSeconds', label: 'Lockout (seconds)', type: 'number' },
      { key: 'adminAllowList', label: 'Addresses allowed to sign in remotely (CIDR ranges)', type: 'text' },
      { key: 'adminIdleMinutes', label: 'Dashboard session ends after idle minutes', type: 'number' },
      { key: 'adminSessionHours', label: 'Dashboard session ends after hours', type: 'number' },
    ],
  },
  {
    title: 'Records',
    fields: [
      { key: 'usageMetering', label: 'Record every request (usage and metrics)', type: 'bool' },
      { key: 'retentionRequestDays', label: 'Keep request rows (days)', type: 'number' },
      { key: 'retentionAggregateDays', label: 'Keep hourly totals (days)', type: 'number' },
      { key: 'retentionSecurityDays', label: 'Keep security events (days)', type: 'number' },
    ],
  },
];

export function Settings() {
  const view = useLoad(() => api.getSettings());
  const [draft, setDraft] = useState<Partial<Record<keyof SettingsData, string | number | boolean>>>({});
  const [saved, setSaved] = useState<string[]>([]);
  const save = useAction((changes: Record<string, string | number | boolean>) => api.updateSettings({ changes }));
  useEffect(() => setDraft({}), [view.data]);

  if (!view.data) return view.error ? <ErrorNote error={view.error} onRetry={view.reload} /> : <Loading what="settings" />;
  const { settings, overridden, restartKeys, secretStorage } = view.data;
  const value = (key: keyof SettingsData) => (key in draft ? draft[key] : settings[key]);
  const changedKeys = Object.keys(draft).filter((k) => draft[k as keyof SettingsData] !== settings[k as keyof SettingsData]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const changes = Object.fromEntries(changedKeys.map((k) => [k, draft[k as keyof SettingsData]!]));
    const result = await save.run(changes);
    if (result) {
      setSaved(changedKeys);
      view.reload();
    }
  };

  return (
    <>
    <Certificate />
    <RemoteAdmin />
    <Upstreams />
    <form onSubmit={(e) => void submit(e)} className="grid">
      {GROUPS.map((group) => (
        <Card key={group.title} title={group.title}>
          {group.fields.filter((f) => !f.when || f.when(value)).map((f) => {
            const id = `setting-${f.key}`;
            const v = value(f.key);
            const note = [overridden.includes(f.key) && 'Set by a command-line flag or environment variable for this run, which wins over what is saved here.', restartKeys.includes(f.key) && 'Applies after a restart.'].filter(Boolean).join(' ');
            return (
              <div key={f.key} className="field">
                {f.type === 'bool' ? (
                  <label className="check">
                    <input id={id} type="checkbox" checked={v === true} onChange={(e) => setDraft({ ...draft, [f.key]: e.target.checked })} /> {f.label}
                  </label>
                ) : (
                  <label htmlFor={id}>
                    {f.label}
                    {f.type === 'select' ? (
                      <select id={id} value={String(v)} onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })}>
                        {f.options!.some(([o]) => o === String(v)) ? null : <option value={String(v)}>{String(v)}</option>}
                        {f.options!.map(([o, text]) => (
                          <option key={o} value={o}>
                            {text}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <input
                        id={id}
                        type={f.type}
                        value={String(v ?? '')}
                        onChange={(e) => setDraft({ ...draft, [f.key]: f.type === 'number' ? Number(e.target.value) : e.target.value })}
                      />
                    )}
                  </label>
                )}
                {(f.help || note) && <p className="muted small">{[f.help, note].filter(Boolean).join(' ')}</p>}
              </div>
            );
          })}
        </Card>
      ))}
      <Card title="Desktop">
        <p className={secretStorage.encrypted ? 'muted' : undefined}>{secretStorage.detail}</p>
        <p className="muted">{inDesktopApp ? 'Start at login is in the tray menu.' : 'Start at login is a setting of the Gatehouse desktop app (tray menu); on a server, run gatehouse serve as a service.'}</p>
      </Card>
      <div className="row end actions">
        <ErrorNote error={save.error} />
        {saved.length > 0 && changedKeys.length === 0 && (
          <span role="status" className="muted">
            Saved{saved.some((k) => restartKeys.includes(k)) ? '. Restart Gatehouse for the address, port or certificate to change.' : '.'}
          </span>
        )}
        <button type="button" disabled={changedKeys.length === 0} onClick={() => setDraft({})}>
          Undo changes
        </button>
        <button type="submit" className="primary" disabled={changedKeys.length === 0 || save.busy}>
          Save {changedKeys.length > 0 ? `(${changedKeys.length})` : ''}
        </button>
      </div>
    </form>
    </>
  );
}
