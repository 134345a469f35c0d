import { useState, type FormEvent } from 'react';
import { session } from '../api';
import { useAction, useLoad } from '../hooks';
import { ErrorNote } from '../ui';

/**
 * Shown in a browser without a session: on this computer, how to get a sign-in link; from another
 * computer with remote administration on, the password and an authenticator (or recovery) code.
 */
export function SignIn({ error, onSignedIn }: { error: string | undefined; onSignedIn: () => void }) {
  const info = useLoad(() => session.loginInfo());
  // The link must name the port this page came from, which is not always the default.
  const portFlag = location.port && location.port !== '11443' ? ` --port ${location.port}` : '';
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const login = useAction((pw: string, c: string) => session.login(pw, c));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await login.run(password, code)) onSignedIn();
    else setCode('');
  };
  const remote = info.data?.remoteAdmin === true && !info.data.local;
  return (
    <main className="sign-in">
      <h1>Gatehouse</h1>
      {error && (
        <div className="note error" role="alert">
          <strong>{error}</strong>
        </div>
      )}
      {remote ? (
        <form className="form" onSubmit={(e) => void submit(e)} aria-label="Sign in">
          <label>
            Admin password
            <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
          </label>
          <label>
            Code from the authenticator app, or a recovery code
            <input autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} required />
          </label>
          <ErrorNote error={login.error} />
          <button type="submit" className="primary" disabled={login.busy}>
            Sign in
          </button>
        </form>
      ) : (
        <>
          <p>To open the dashboard, use a sign-in link. Each link works once and for 15 minutes.</p>
          <ul>
            <li>
              <code>gatehouse serve</code> prints one when it starts.
            </li>
            <li>
              Or run <code>gatehouse admin link{portFlag}</code> on this computer and open the link it prints.
            </li>
          </ul>
        </>
      )}
    </main>
  );
}
