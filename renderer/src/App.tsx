import { useCallback, useEffect, useState } from 'react';
import { closeEvents, inDesktopApp, session } from './api';
import { Activity } from './pages/Activity';
import { Metrics } from './pages/Metrics';
import { Models } from './pages/Models';
import { Overview } from './pages/Overview';
import { Settings } from './pages/Settings';
import { Share } from './pages/Share';
import { SignIn } from './pages/SignIn';
import { Tokens } from './pages/Tokens';

const PAGES = {
  overview: { title: 'Overview', Page: Overview },
  tokens: { title: 'Tokens', Page: Tokens },
  share: { title: 'Share', Page: Share },
  models: { title: 'Models', Page: Models },
  metrics: { title: 'Metrics', Page: Metrics },
  activity: { title: 'Activity', Page: Activity },
  settings: { title: 'Settings', Page: Settings },
} as const;
type PageName = keyof typeof PAGES;

const pageFromHash = (): PageName => {
  const name = window.location.hash.replace(/^#\/?/, '');
  return name in PAGES ? (name as PageName) : 'overview';
};

type Gate = 'checking' | 'signed-in' | 'signed-out';

export function App() {
  const [page, setPage] = useState<PageName>(pageFromHash);
  const [gate, setGate] = useState<Gate>(inDesktopApp ? 'signed-in' : 'checking');
  const [signInError, setSignInError] = useState<string>();

  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // A one-time link arrives as #login=<code> (also pasted into an open tab): exchange it, then take
  // it out of the address bar.
  useEffect(() => {
    if (inDesktopApp) return;
    const off = session.onSignedOut(() => setGate('signed-out'));
    const fromLink = () => {
      const code = /^#login=([A-Za-z0-9_-]+)$/.exec(window.location.hash)?.[1];
      if (!code) return null;
      history.replaceState(null, '', '#/overview');
      setPage('overview');
      return session.signIn(code).then(
        () => {
          setSignInError(undefined);
          return true;
        },
        (err: Error) => {
          setSignInError(err.message);
          return false;
        },
      );
    };
    void (fromLink() ?? session.check()).then((ok) => setGate(ok ? 'signed-in' : 'signed-out'));
    const onHash = () => void fromLink()?.then((ok) => setGate(ok ? 'signed-in' : 'signed-out'));
    window.addEventListener('hashchange', onHash);
    return () => {
      off();
      window.removeEventListener('hashchange', onHash);
    };
  }, []);

  useEffect(() => {
    document.title = `${PAGES[page].title} · Gatehouse`;
  }, [page]);

  const signOut = useCallback(() => {
    // The pages go first, so nothing asks for data with a session that is about to end.
    setGate('signed-out');
    closeEvents();
    // Signed out either way: a session the server already forgot is as good as ended.
    void session.signOut().catch(() => undefined);
  }, []);

  if (gate === 'checking') return <p className="muted center">Connecting to Gatehouse…</p>;
  if (gate === 'signed-out') return <SignIn error={signInError} onSignedIn={() => { setSignInError(undefined); setGate('signed-in'); }} />;

  const { Page } = PAGES[page];
  return (
    <div className="layout">
      <nav className="sidebar" aria-label="Gatehouse">
        <div className="brand">Gatehouse</div>
        <ul>
          {(Object.keys(PAGES) as PageName[]).map((name) => (
            <li key={name}>
              <a href={`#/${name}`} aria-current={name === page ? 'page' : undefined}>
                {PAGES[name].title}
              </a>
            </li>
          ))}
        </ul>
        {!inDesktopApp && (
          <button type="button" className="link sign-out" onClick={signOut}>
            Sign out
          </button>
        )}
      </nav>
      <main className="content" id="main">
        <h1>{PAGES[page].title}</h1>
        <Page />
      </main>
    </div>
  );
}
