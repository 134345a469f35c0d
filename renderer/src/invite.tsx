/**
 * The page a teammate opens from an invite link: what it is, how to trust the Gatehouse CA
 * (with the fingerprint to compare), then "Accept", which turns the invite into their own token,
 * shown once with the same snippets as the owner's Share page.
 */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { Snippet } from '../../preload/contract';
import { SnippetTabs } from './snippets';
import { TrustCa } from './trust-ca';
import { CopyButton } from './ui';
import './styles.css';

interface Info {
  name: string;
  state: 'pending' | 'redeemed' | 'expired' | 'revoked';
  expiresAt: number;
  caFingerprint: string | null;
}
interface Accepted {
  name: string;
  token: string;
  endpoint: string;
  caFingerprint: string | null;
  ollamaKeys: string[];
  /** The web app this token may open, when Gatehouse guards one. */
  webapp: string | null;
  snippets: Snippet[];
}

const id = window.location.pathname.split('/').filter(Boolean)[1] ?? '';
// The secret arrives after #, which browsers never send; take it out of the address bar at once.
const secret = window.location.hash.slice(1);
if (secret) history.replaceState(null, '', window.location.pathname);

const STATE_TEXT: Record<Exclude<Info['state'], 'pending'>, string> = {
  redeemed: 'This invite was already used.',
  expired: 'This invite has expired.',
  revoked: 'This invite was withdrawn.',
};

async function json<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => null)) as (T & { error?: { message: string; fix?: string } }) | null;
  if (!res.ok) throw new Error([body?.error?.message ?? `The server answered ${res.status}.`, body?.error?.fix].filter(Boolean).join(' '));
  return body as T;
}

function InvitePage() {
  const [info, setInfo] = useState<Info>();
  const [error, setError] = useState<string>();
  const [accepted, setAccepted] = useState<Accepted>();
  const [busy, setBusy] = useState(false);
  const [ollamaKey, setOllamaKey] = useState('');

  useEffect(() => {
    fetch(`/invite/${encodeURIComponent(id)}/info`).then((r) => json<Info>(r)).then(setInfo, (e: Error) => setError(e.message));
  }, []);

  const accept = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const res = await fetch(`/invite/${encodeURIComponent(id)}/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret, ...(ollamaKey.trim() ? { ollamaKey: ollamaKey.trim() } : {}) }) });
      setAccepted(await json<Accepted>(res));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (accepted) {
    return (
      <main className="sign-in wide-page">
        <h1>Welcome, {accepted.name}</h1>
        <div className="note success" role="status">
          <strong>Your token. Copy it now: it will not be shown again.</strong>
          <div className="secret row">
            <code data-testid="invite-token">{accepted.token}</code> <CopyButton text={accepted.token} />
          </div>
        </div>
        <p>
          Use it at <code>{accepted.endpoint}</code> (OpenAI-compatible clients: <code>{accepted.endpoint}/v1</code>).
        </p>
        {accepted.webapp && (
          <form method="post" action={`${accepted.webapp}/.gatehouse/signin`}>
            <input type="hidden" name="token" value={accepted.token} />
            <button type="submit" className="primary">
              Open the web app
            </button>{' '}
            <span className="muted small">({accepted.webapp}: signs you in with this token)</span>
          </form>
        )}
        {accepted.ollamaKeys.map((k) => (
          <p key={k}>
            Your ollama key <code>{k}</code> acts as this token: run the <code>ollama</code> command with <code>OLLAMA_AUTH=1</code> (see the “ollama command” tab).
          </p>
        ))}
        <SnippetTabs snippets={accepted.snippets} />
      </main>
    );
  }

  return (
    <main className="sign-in">
      <h1>You are invited to use Ollama through Gatehouse</h1>
      {error && (
        <div className="note error" role="alert">
          <strong>{error}</strong>
        </div>
      )}
      {!secret && <p className="error-text">This link is incomplete: the part after # is missing. Copy the whole link again.</p>}
      {info && info.state !== 'pending' && <div className="note error" role="alert"><strong>{STATE_TEXT[info.state]}</strong> Ask the person who sent it for a new one.</div>}
      {info?.state === 'pending' && (
        <>
          <p>
            This invite for <strong>{info.name}</strong> works once, until {new Date(info.expiresAt).toLocaleString()}. Accepting it gives you your own API token.
          </p>
          {info.caFingerprint && (
            <>
              <h2>1. Trust this Gatehouse&apos;s certificate</h2>
              <TrustCa fingerprint={info.caFingerprint} after="the snippets after you accept show how each client uses it" />
              <h2>2. Accept</h2>
            </>
          )}
          <details>
            <summary>Using the ollama command on your computer?</summary>
            <label>
              Paste what <code>cat ~/.ollama/id_ed25519.pub</code> prints (Windows: <code>type %USERPROFILE%\.ollama\id_ed25519.pub</code>); it is public, and lets <code>ollama run</code> use your token
              <textarea rows={2} value={ollamaKey} onChange={(e) => setOllamaKey(e.target.value)} placeholder="ssh-ed25519 AAAA… you@laptop" spellCheck={false} />
            </label>
          </details>
          <button type="button" className="primary" disabled={busy || !secret} onClick={() => void accept()}>
            Accept and show my token
          </button>
        </>
      )}
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <InvitePage />
  </StrictMode>,
);
