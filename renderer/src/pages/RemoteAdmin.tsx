import { useState, type FormEvent } from 'react';
import type { AdminSession, Enrollment } from '../../../preload/contract';
import { api, type ApiError } from '../api';
import { ago } from '../format';
import { useAction, useEvent, useLoad } from '../hooks';
import { Card, CopyButton, ErrorNote, Loading } from '../ui';

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div className="note success" role="status">
      <strong>Recovery codes: each works once instead of an authenticator code. Store them safely; they are not shown again.</strong>
      <ul className="codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div className="row">
        <CopyButton text={codes.join('\n')} label="Copy all" />
        <button type="button" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </div>
  );
}

/** Step two of turning remote sign-in on (or of pairing a new authenticator): scan, then prove it with a code. */
function PairForm({ enrollment, replacing, error, busy, onCancel, onConfirm }: { enrollment: Enrollment; replacing: boolean; error: ApiError | undefined; busy: boolean; onCancel: () => void; onConfirm: (code: string) => void }) {
  const [code, setCode] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onConfirm(code);
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Pair an authenticator">
      <p>Scan this with an authenticator app (1Password, Google Authenticator, Aegis…), or type the secret.</p>
      <div className="share">
        <img src={enrollment.qrDataUrl} width={200} height={200} alt="QR code for the authenticator app" />
        <p>
          Secret: <code data-testid="totp-secret">{enrollment.secret}</code> <CopyButton text={enrollment.secret} />
        </p>
      </div>
      <label>
        The 6-digit code the app shows now
        <input inputMode="numeric" autoComplete="one-time-code" pattern="\d{6}" value={code} onChange={(e) => setCode(e.target.value)} required />
      </label>
      <ErrorNote error={error} />
      <div className="row end">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {replacing ? 'Pair the new authenticator' : 'Turn on remote administration'}
        </button>
      </div>
    </form>
  );
}

function SessionList({ sessions }: { sessions: AdminSession[] | undefined }) {
  if (!sessions?.length) return <p className="muted">No open sessions.</p>;
  return (
    <ul className="plain">
      {sessions.map((s) => (
        <li key={s.id}>
          <code>{s.ip}</code> <span className="muted">signed in {ago(s.createdAt)}, last seen {ago(s.lastSeenAt)}</span>
        </li>
      ))}
    </ul>
  );
}

/** Turning remote sign-in on (password, authenticator, recovery codes), and managing it once on. */
export function RemoteAdmin() {
  const status = useLoad(() => api.getAdminStatus());
  const sessions = useLoad(() => api.listAdminSessions());
  useEvent('changed', () => {
    status.reload();
    sessions.reload();
  });
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [enrollment, setEnrollment] = useState<Enrollment>();
  const [codes, setCodes] = useState<string[]>();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const begin = useAction((pw: string | null) => api.beginRemoteAdmin({ password: pw }));
  const confirm = useAction((c: string) => api.confirmRemoteAdmin({ code: c }));
  const other = useAction(async (what: 'off' | 'renew' | 'revoke' | 'password') => {
    if (what === 'off') await api.disableRemoteAdmin();
    if (what === 'renew') setCodes((await api.renewRecoveryCodes()).recoveryCodes);
    if (what === 'revoke') await api.revokeAdminSessions({});
    if (what === 'password') {
      await api.changeAdminPassword({ current, next });
      setCurrent('');
      setNext('');
    }
    status.reload();
    sessions.reload();
  });

  const start = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== again) return;
    const result = await begin.run(password);
    if (result) setEnrollment(result);
  };
  const finish = async (code: string) => {
    const result = await confirm.run(code.trim());
    if (result) {
      setCodes(result.recoveryCodes);
      setEnrollment(undefined);
      setPassword('');
      setAgain('');
      status.reload();
    }
  };

  if (!status.data) return <Card title="Remote administration">{status.error ? <ErrorNote error={status.error} onRetry={status.reload} /> : <Loading what="remote administration" />}</Card>;
  const on = status.data.enabled;
  return (
    <Card title="Remote administration" wide>
      {codes && <RecoveryCodes codes={codes} onDone={() => setCodes(undefined)} />}
      {!on && !enrollment && (
        <form className="form" onSubmit={(e) => void start(e)} aria-label="Turn on remote administration">
          <p className="muted">Off: the dashboard opens only on this computer. Turn it on to manage Gatehouse from another computer with a password and an authenticator app.</p>
          <label>
            Admin password (at least 12 characters)
            <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={12} />
          </label>
          <label>
            Password again
            <input type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required />
          </label>
          {again && again !== password && <p className="error-text">The two passwords differ.</p>}
          <ErrorNote error={begin.error} />
          <div className="row end">
            <button type="submit" className="primary" disabled={begin.busy || password !== again}>
              Next: pair an authenticator
            </button>
          </div>
        </form>
      )}
      {enrollment && <PairForm enrollment={enrollment} replacing={on} error={confirm.error} busy={confirm.busy} onCancel={() => setEnrollment(undefined)} onConfirm={(c) => void finish(c)} />}
      {on && !enrollment && (
        <>
          <p>
            <span className="badge ok">On</span> Sign in from another computer at this Gatehouse&apos;s address + /admin/ with the password and an authenticator code. Allowed
            addresses: <code>{status.data.allowList}</code> (change them in Security below). {status.data.recoveryCodesLeft} recovery codes left.
          </p>
          <h3>Sessions</h3>
          <SessionList sessions={sessions.data} />
          <form className="row" onSubmit={(e) => { e.preventDefault(); void other.run('password'); }} aria-label="Change the admin password">
            <label>
              Current password <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
            </label>
            <label>
              New password <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required minLength={12} />
            </label>
            <button type="submit">Change password</button>
          </form>
          <div className="row">
            <button type="button" onClick={() => void other.run('revoke')}>
              End all sessions
            </button>
            <button type="button" onClick={() => void begin.run(null).then((e) => e && setEnrollment(e))}>
              Pair a new authenticator
            </button>
            <button type="button" onClick={() => void other.run('renew')}>
              New recovery codes
            </button>
            <button type="button" className="danger" onClick={() => void other.run('off')}>
              Turn off remote administration
            </button>
          </div>
          <ErrorNote error={other.error ?? begin.error} />
        </>
      )}
    </Card>
  );
}
