import { useState, type FormEvent } from 'react';
import type { TlsStatus } from '../../../preload/contract';
import { api } from '../api';
import { useAction, useEvent, useLoad } from '../hooks';
import { Card, ErrorNote, Loading } from '../ui';

const SOURCES: Record<TlsStatus['mode'], string> = {
  'local-ca': "Gatehouse's own certificate authority: teammates install it once",
  tailscale: "Tailscale's certificate: trusted everywhere in your tailnet",
  acme: "Let's Encrypt's certificate for your domain: trusted everywhere",
  custom: 'your own certificate files',
};

const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';

const day = (iso: string) => new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });

/** What teammates are shown now: whose certificate, for which names, until when, and what is wrong. */
function Served({ status }: { status: TlsStatus }) {
  const { serving } = status;
  if (!serving) return <p className="muted">No certificate is served yet (it is made when the gateway starts).</p>;
  const { certificate } = serving;
  return (
    <div data-testid="certificate-served">
      <p>
        Serving <strong>{SOURCES[serving.source]}</strong>.
      </p>
      <dl className="facts">
        <dt>For</dt>
        <dd>{certificate.names.join(', ')}</dd>
        <dt>Issued by</dt>
        <dd>{certificate.issuer}</dd>
        <dt>Valid until</dt>
        <dd>{day(certificate.validTo)}</dd>
        {certificate.renewsAt && (
          <>
            <dt>Renewed from</dt>
            <dd>{day(certificate.renewsAt)}</dd>
          </>
        )}
      </dl>
      {status.mode !== serving.source && !serving.warning && <p className="muted">From the next start: {SOURCES[status.mode]}. Restart Gatehouse to switch.</p>}
      {serving.warning && (
        <p role="alert" className="error-text">
          {serving.warning}
        </p>
      )}
    </div>
  );
}

/** Settings → Certificate: the served certificate, and getting a publicly trusted one for the owner's domain. */
export function Certificate() {
  const status = useLoad(() => api.getTlsStatus());
  useEvent('changed', (e) => (e.what === 'certificate' || e.what === 'settings') && status.reload());
  const [form, setForm] = useState({ domain: '', email: '', dns: 'cloudflare', dnsToken: '', directory: '' });
  const [done, setDone] = useState<string | null>(null);
  const acme = status.data?.acme;
  const value = (key: 'domain' | 'email' | 'dns') => form[key] || acme?.[key] || '';
  const request = useAction(() =>
    api.useAcme({
      domain: value('domain').trim(),
      email: value('email').trim(),
      dns: value('dns'),
      ...(form.dnsToken.trim() ? { dnsToken: form.dnsToken.trim() } : {}),
      ...(form.directory.trim() ? { directory: form.directory.trim() } : {}),
    }),
  );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const got = await request.run();
    if (got) {
      setDone(got.message);
      setForm((f) => ({ ...f, dnsToken: '' }));
      status.reload();
    }
  };

  return (
    <Card title="Certificate served">
      <ErrorNote error={status.error} onRetry={status.reload} />
      {!status.data ? !status.error && <Loading what="the certificate" /> : <Served status={status.data} />}
      <p className="muted">
        Own a domain? Gatehouse can get a Let&apos;s Encrypt certificate for a name in it, so teammates see no warning and install nothing. It proves the domain is yours with a DNS record, so this computer needs no open port. Point the name at this computer&apos;s address in your DNS.
      </p>
      <form className="grid" onSubmit={(e) => void submit(e)} aria-label="Get a certificate for your domain">
        <label>
          Name for this computer
          <input value={value('domain')} onChange={(e) => setForm({ ...form, domain: e.target.value })} placeholder="gpu.example.com" required autoComplete="off" spellCheck={false} />
        </label>
        <label>
          Your email (for expiry notices from Let&apos;s Encrypt)
          <input type="email" value={value('email')} onChange={(e) => setForm({ ...form, email: e.target.value })} placeholder="you@example.com" required />
        </label>
        <label>
          Who serves the domain&apos;s DNS
          <select value={value('dns')} onChange={(e) => setForm({ ...form, dns: e.target.value })}>
            {(acme?.providers ?? ['cloudflare']).map((p) => (
              <option key={p} value={p}>
                {p === 'cloudflare' ? 'Cloudflare' : p}
              </option>
            ))}
          </select>
        </label>
        <label>
          DNS API token (Cloudflare: Zone → DNS → Edit)
          <input type="password" value={form.dnsToken} onChange={(e) => setForm({ ...form, dnsToken: e.target.value })} placeholder={acme?.hasToken ? 'kept from last time' : ''} required={!acme?.hasToken} autoComplete="off" />
        </label>
        <details>
          <summary className="small">Another certificate authority</summary>
          <label>
            ACME directory address
            <input value={form.directory} onChange={(e) => setForm({ ...form, directory: e.target.value })} placeholder={acme?.directory ?? LETS_ENCRYPT} autoComplete="off" spellCheck={false} />
          </label>
        </details>
        <div className="row end">
          <ErrorNote error={request.error} />
          <button type="submit" className="primary" disabled={request.busy}>
            {request.busy ? 'Getting the certificate…' : 'Get certificate'}
          </button>
        </div>
      </form>
      {done && <p role="status">{done}</p>}
    </Card>
  );
}
