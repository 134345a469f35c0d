import { useEffect, useState } from 'react';
import type { Results, ShareBundle } from '../../../preload/contract';
import { api } from '../api';
import { download } from '../format';
import { useAction, useLoad } from '../hooks';
import { Card, CopyButton, ErrorNote, Loading } from '../ui';
import { SnippetTabs } from '../snippets';
import { InviteCard } from './InviteCard';
import { SecretOnce, TokenForm } from './TokenForm';

/**
 * One place to hand a teammate everything: a token (new, or one whose secret you kept), the
 * address to use, a QR code, the CA certificate to trust, and snippets for their client.
 */
export function Share() {
  const info = useLoad(() => api.getShareInfo());
  const [mode, setMode] = useState<'new' | 'paste'>('new');
  const [created, setCreated] = useState<Results['createToken']>();
  const [pasted, setPasted] = useState('');
  const [endpoint, setEndpoint] = useState('');
  const [bundle, setBundle] = useState<ShareBundle>();
  const make = useAction((args: { endpoint: string; token: string; model?: string }) => api.shareBundle(args));
  const ca = useAction(() => api.getCaCertificate());

  const token = mode === 'new' ? created?.token : pasted.trim();
  const model = created?.record.allowModels.find((m) => !/[*?[]/.test(m));

  useEffect(() => {
    if (!endpoint && info.data?.endpoints[0]) setEndpoint(info.data.endpoints[0].url);
  }, [info.data, endpoint]);

  useEffect(() => {
    setBundle(undefined);
    if (!token || !endpoint) return;
    void make.run({ endpoint, token, ...(model ? { model } : {}) }).then((b) => b && setBundle(b));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [token, endpoint, model]);

  const downloadCa = async () => {
    const cert = await ca.run();
    if (cert) download('gatehouse-ca.crt', cert.pem, 'application/x-pem-file');
  };

  if (!info.data) return info.error ? <ErrorNote error={info.error} onRetry={info.reload} /> : <Loading what="addresses" />;
  return (
    <div className="grid">
      <Card title="1. The token">
        <div className="row" role="radiogroup" aria-label="Token to share">
          <label className="check">
            <input type="radio" name="mode" checked={mode === 'new'} onChange={() => setMode('new')} /> Create a new token for a teammate
          </label>
          <label className="check">
            <input type="radio" name="mode" checked={mode === 'paste'} onChange={() => setMode('paste')} /> Paste a token I saved
          </label>
        </div>
        {mode === 'new' &&
          (created ? <SecretOnce created={created} onDone={() => setCreated(undefined)} /> : <TokenForm onCreated={setCreated} submitLabel="Create and share" />)}
        {mode === 'paste' && (
          <label>
            Token (gth_…)
            <input value={pasted} onChange={(e) => setPasted(e.target.value)} placeholder="gth_…" autoComplete="off" spellCheck={false} />
          </label>
        )}
      </Card>

      <Card title="2. The address">
        {info.data.endpoints.length === 0 ? (
          <p className="muted">Gatehouse listens only on this computer. Set the bind address to 0.0.0.0 in Settings to share it.</p>
        ) : (
          <div role="radiogroup" aria-label="Address to share">
            {info.data.endpoints.map((e) => (
              <label key={e.url} className="check">
                <input type="radio" name="endpoint" value={e.url} checked={endpoint === e.url} onChange={() => setEndpoint(e.url)} /> <code>{e.url}</code>{' '}
                <span className="muted">{e.label}</span>
              </label>
            ))}
          </div>
        )}
        {info.data.endpoints.find((e) => e.url === endpoint)?.label === 'This computer only' && (
          <p className="warn" role="alert">
            This address works only on this computer: a teammate who opens it reaches their own machine. To share, set <strong>Listen on</strong> to “Every network” in Settings and restart Gatehouse.
          </p>
        )}
        {info.data.caFingerprint && (
          <>
            <p>
              Your teammate trusts Gatehouse&apos;s own certificate authority. They should check that its fingerprint matches:
              <br />
              <code className="fingerprint">{info.data.caFingerprint}</code>
            </p>
            <button type="button" onClick={() => void downloadCa()}>
              Download CA certificate (gatehouse-ca.crt)
            </button>
            <ErrorNote error={ca.error} />
          </>
        )}
      </Card>

      <Card title="3. Hand it over" wide>
        <ErrorNote error={make.error} />
        {!token ? (
          <p className="muted">Create or paste a token first.</p>
        ) : !bundle ? (
          !make.error && <Loading what="the share code" />
        ) : (
          <>
            <div className="share">
              <img src={bundle.qrDataUrl} width={240} height={240} alt={`QR code of ${endpoint} with the token`} data-testid="share-qr" />
              <div>
                <p>Scan, or send this link privately (the token is in the part after #, which never reaches a server log):</p>
                <p className="row">
                  <code className="wrap" data-testid="share-payload">{bundle.payload}</code> <CopyButton text={bundle.payload} label="Copy link" />
                </p>
              </div>
            </div>
            <SnippetTabs snippets={bundle.snippets} />
          </>
        )}
      </Card>
      <InviteCard endpoint={endpoint} />
    </div>
  );
}
