/**
 * What a teammate sees on opening the owner's Share link (or QR code) in a browser: the endpoint,
 * how to trust Gatehouse's CA (with the fingerprint the link carries), the token, and snippets for
 * each client. The token and fingerprint travel after #, which browsers never send to a server;
 * they are taken out of the address bar at once.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { clientSnippets } from '../../preload/contract';
import { SnippetTabs } from './snippets';
import { TrustCa } from './trust-ca';
import { CopyButton } from './ui';
import './styles.css';

const params = new URLSearchParams(window.location.hash.slice(1));
if (window.location.hash) history.replaceState(null, '', '/');
const token = params.get('token');
const raw = params.get('ca-sha256');
const fingerprint = raw && /^[0-9a-f]{64}$/i.test(raw) ? raw.toUpperCase().match(/../g)!.join(':') : null;
const endpoint = window.location.origin;

function Landing() {
  if (!token) {
    return (
      <main className="sign-in">
        <h1>Ollama, through Gatehouse</h1>
        <p>
          This address serves Ollama&apos;s API to programs with an API token. There is nothing to do here in a browser: ask the person who runs it for an invite link, or for a token and this address (
          <code>{endpoint}</code>).
        </p>
      </main>
    );
  }
  return (
    <main className="sign-in wide-page">
      <h1>Ollama, shared with you through Gatehouse</h1>
      <p>
        Use it at <code>{endpoint}</code> (OpenAI-compatible clients: <code>{endpoint}/v1</code>) with the token below. Keep the token private: it is yours to use.
      </p>
      {fingerprint && (
        <>
          <h2>1. Trust this Gatehouse&apos;s certificate</h2>
          <TrustCa fingerprint={fingerprint} after="the snippets below show how each client uses it" />
          <h2>2. Use your token</h2>
        </>
      )}
      <div className="secret row">
        <code data-testid="landing-token">{token}</code> <CopyButton text={token} />
      </div>
      <SnippetTabs snippets={clientSnippets({ endpoint, token, model: 'llama3.2', localCa: fingerprint !== null })} />
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Landing />
  </StrictMode>,
);
