import { DEFAULT_TOKEN_EXPIRY, type Args } from '../../../preload/contract';
import { api } from '../api';
import { useLoad } from '../hooks';
import { DEFAULT_SHARE, ShareFields, shareArgs, type ShareValues } from './ShareFields';

/** Expiry choices; '' is "never". The default is the one the CLI and invites use too. */
const EXPIRIES = [
  ['', 'Never'],
  ['24h', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
  ['365d', '1 year'],
] as const;

/** A token's policy as the form holds it (text, as typed). */
export interface PolicyValues {
  scope: 'inference' | 'admin';
  allowed: string[];
  extraAllowed: string;
  denied: string;
  rpm: string;
  concurrency: string;
  expiresIn: string;
  metrics: boolean;
  cloud: boolean;
  web: boolean;
  share: ShareValues;
}

export const DEFAULT_POLICY: PolicyValues = {
  scope: 'inference', allowed: [], extraAllowed: '', denied: '', rpm: '', concurrency: '',
  expiresIn: DEFAULT_TOKEN_EXPIRY, metrics: false, cloud: false, web: false, share: DEFAULT_SHARE,
};

/** "llama3*, qwen3:8b" → the list of model names or patterns. */
export const patterns = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
// Empty: the default for new tokens from Settings.
const limitOf = (text: string) => (text.trim() === '' ? undefined : Number(text));

/** The createToken policy fields for what the form holds. */
export function policyArgs(v: PolicyValues): Omit<Args<'createToken'>, 'name'> {
  return {
    scope: v.scope,
    allowModels: [...v.allowed, ...patterns(v.extraAllowed)],
    denyModels: patterns(v.denied),
    rpm: limitOf(v.rpm),
    concurrency: limitOf(v.concurrency),
    expiresIn: v.expiresIn || null,
    metrics: v.metrics,
    cloud: v.cloud,
    web: v.web,
    ...shareArgs(v.share),
  };
}

/** Every field of a token's policy, for a new token and for an invite's token alike. */
export function PolicyFields({ value, onChange }: { value: PolicyValues; onChange: (next: PolicyValues) => void }) {
  const models = useLoad(() => api.listModels().then((m) => m.installed.map((i) => i.name)).catch(() => [] as string[]));
  const set = (patch: Partial<PolicyValues>) => onChange({ ...value, ...patch });
  const toggle = (model: string) => set({ allowed: value.allowed.includes(model) ? value.allowed.filter((m) => m !== model) : [...value.allowed, model] });
  return (
    <>
      <label>
        What it may do
        <select value={value.scope} onChange={(e) => set({ scope: e.target.value as PolicyValues['scope'] })}>
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
                <input type="checkbox" checked={value.allowed.includes(m)} onChange={() => toggle(m)} /> {m}
              </label>
            ))}
          </div>
        ) : (
          <p className="muted">{models.loading ? 'Loading installed models…' : 'No installed models to pick from; type names or patterns below.'}</p>
        )}
        <label>
          More names or patterns
          <input value={value.extraAllowed} onChange={(e) => set({ extraAllowed: e.target.value })} placeholder="llama3*, qwen3:8b" />
        </label>
      </fieldset>
      <label>
        Denied models (these win over allowed)
        <input value={value.denied} onChange={(e) => set({ denied: e.target.value })} placeholder="*:70b" />
      </label>
      <div className="row">
        <label>
          Requests per minute
          <input type="number" min={1} value={value.rpm} onChange={(e) => set({ rpm: e.target.value })} placeholder="default" />
        </label>
        <label>
          At the same time
          <input type="number" min={1} value={value.concurrency} onChange={(e) => set({ concurrency: e.target.value })} placeholder="default" />
        </label>
        <label>
          Token expires
          <select value={value.expiresIn} onChange={(e) => set({ expiresIn: e.target.value })}>
            {EXPIRIES.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={value.metrics} onChange={(e) => set({ metrics: e.target.checked })} /> May read Prometheus metrics (/metrics)
      </label>
      <label className="check">
        <input type="checkbox" checked={value.cloud} onChange={(e) => set({ cloud: e.target.checked })} /> May use cloud models and web search (they run on this computer&apos;s ollama.com account)
      </label>
      <label className="check">
        <input type="checkbox" checked={value.web} onChange={(e) => set({ web: e.target.checked })} /> May sign in to the web app (Settings → Web app)
      </label>
      <ShareFields value={value.share} onChange={(share) => set({ share })} />
    </>
  );
}
