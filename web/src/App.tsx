import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, errorMessage, onConnectionChange, setCsrfToken, setUnauthorizedHandler, startLiveEvents, stopLiveEvents, type Session } from './api.ts';
import { AccountSwitcher } from './AccountSwitcher.tsx';
import { Link, navigate, useLocation } from './router.tsx';
import { SessionContext, useSession, type SessionState } from './session.tsx';
import { ForgotPassword, ResetPassword, AcceptInvite, SignIn, Welcome } from './screens/SignIn.tsx';
import { GetStarted } from './screens/GetStarted.tsx';
import { Inbox } from './screens/Inbox.tsx';
import { Calls } from './screens/Calls.tsx';
import { Tasks } from './screens/Tasks.tsx';
import { Pipeline } from './screens/Pipeline.tsx';
import { Dashboard } from './screens/Dashboard.tsx';
import { Settings } from './screens/Settings.tsx';

const PUBLIC = new Set(['/sign-in', '/forgot-password', '/reset-password', '/accept-invite', '/welcome']);

const SCREENS: Array<{ path: string; name: string }> = [
  { path: '/get-started', name: 'Get started' },
  { path: '/inbox', name: 'Inbox' },
  { path: '/calls', name: 'Calls' },
  { path: '/tasks', name: 'Tasks' },
  { path: '/pipeline', name: 'Pipeline' },
  { path: '/dashboard', name: 'Dashboard' },
  { path: '/settings', name: 'Settings' },
];

type Loaded = { state: 'loading' } | { state: 'signed-out' } | { state: 'signed-in'; session: Session } | { state: 'error'; message: string };

export function App() {
  const loc = useLocation();
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });

  const adopt = useCallback((session: Session | null) => {
    if (session) {
      setCsrfToken(session.csrfToken);
      setLoaded({ state: 'signed-in', session });
      startLiveEvents();
    } else {
      setCsrfToken(null);
      stopLiveEvents();
      setLoaded({ state: 'signed-out' });
    }
  }, []);

  const loadMe = useCallback(async () => {
    try {
      adopt(await api<Session>('GET', '/auth/me', undefined, { quiet401: true }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) adopt(null);
      else setLoaded({ state: 'error', message: errorMessage(err) });
    }
  }, [adopt]);

  useEffect(() => {
    void loadMe();
  }, [loadMe]);

  useEffect(() => {
    setUnauthorizedHandler(() => adopt(null));
    return () => setUnauthorizedHandler(null);
  }, [adopt]);

  const isPublic = PUBLIC.has(loc.path);

  // Signed out on an app screen: to sign-in, and back here afterwards.
  useEffect(() => {
    if (loaded.state === 'signed-out' && !isPublic) {
      const next = loc.path === '/' ? '' : `?next=${encodeURIComponent(loc.path + location.search)}`;
      navigate(`/sign-in${next}`, { replace: true });
    }
    if (loaded.state === 'signed-in' && (loc.path === '/' || loc.path === '/sign-in')) {
      // Only a path of this app (not //elsewhere.example).
      const next = loc.query.get('next');
      navigate(next && /^\/(?![/\\])/.test(next) ? next : '/get-started', { replace: true });
    }
  }, [loaded.state, isPublic, loc.path, loc.query]);

  // A title per screen, for tabs and screen readers.
  useEffect(() => {
    const screen = SCREENS.find((s) => loc.path === s.path || loc.path.startsWith(s.path + '/'));
    document.title = screen ? `${screen.name} · Ringback` : 'Ringback';
  }, [loc.path]);

  if (loaded.state === 'loading') {
    return (
      <main className="center-page" id="main">
        <p className="muted" role="status">
          Loading Ringback…
        </p>
      </main>
    );
  }
  if (loaded.state === 'error') {
    return (
      <main className="center-page" id="main">
        <div className="card narrow">
          <h1>Ringback is not answering</h1>
          <p role="alert">{loaded.message}</p>
          <button type="button" className="btn btn-primary" onClick={() => void loadMe()}>
            Try again
          </button>
        </div>
      </main>
    );
  }

  if (loc.path === '/welcome') return <Welcome onSignedIn={adopt} signedIn={loaded.state === 'signed-in'} />;
  if (loc.path === '/accept-invite') return <AcceptInvite onSignedIn={adopt} />;
  if (loc.path === '/reset-password') return <ResetPassword />;
  if (loc.path === '/forgot-password') return <ForgotPassword />;
  if (loaded.state === 'signed-out') {
    return loc.path === '/sign-in' ? <SignIn onSignedIn={adopt} /> : null;
  }

  const state: SessionState = {
    session: loaded.session,
    signOut: async () => {
      try {
        await api('POST', '/auth/logout', {}, { quiet401: true });
      } catch {
        // Signed out either way: the cookie is gone or was already.
      }
      adopt(null);
      navigate('/sign-in', { replace: true });
    },
    refresh: loadMe,
  };

  return (
    <SessionContext.Provider value={state}>
      <Shell path={loc.path}>{screenFor(loc.path)}</Shell>
    </SessionContext.Provider>
  );
}

function screenFor(path: string) {
  if (path === '/get-started') return <GetStarted />;
  if (path === '/inbox' || path.startsWith('/inbox/')) return <Inbox conversationId={path.split('/')[2] ?? null} />;
  if (path === '/calls') return <Calls />;
  if (path === '/tasks') return <Tasks />;
  if (path === '/pipeline') return <Pipeline />;
  if (path === '/dashboard') return <Dashboard />;
  if (path === '/settings' || path.startsWith('/settings/')) return <Settings section={path.split('/')[2] ?? null} />;
  if (path === '/' || path === '/sign-in') return null;
  return (
    <main id="main" className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing at <code>{path}</code>. <Link to="/inbox">Go to the inbox</Link>.
      </p>
    </main>
  );
}

function Shell({ path, children }: { path: string; children: React.ReactNode }) {
  const { session, signOut } = useSession();
  const [live, setLive] = useState(true);
  useEffect(() => onConnectionChange(setLive), []);
  return (
    <div className={`shell ${path.startsWith('/inbox') ? 'shell-fill' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <svg aria-hidden="true" viewBox="0 0 32 32" width="28" height="28">
            <rect width="32" height="32" rx="7" fill="currentColor" />
            <path d="M10.5 7.5c1-.6 2.1-.3 2.7.7l1.6 2.8c.5.9.3 2-.5 2.6l-1.3 1c.8 1.8 2.1 3.3 3.8 4.3l1.1-1.2c.7-.7 1.8-.9 2.6-.3l2.7 1.8c.9.6 1.2 1.8.6 2.7l-1 1.6c-.8 1.3-2.4 1.8-3.8 1.3C13 22.9 9 18.7 7.6 13c-.4-1.4.2-2.9 1.4-3.7z" fill="#fff" />
          </svg>
          <span className="brand-name">Ringback</span>
          <AccountSwitcher />
        </div>
        <nav aria-label="Main" className="mainnav">
          <ul>
            {SCREENS.map((s) => {
              const current = path === s.path || path.startsWith(s.path + '/');
              return (
                <li key={s.path}>
                  <Link to={s.path} aria-current={current ? 'page' : undefined}>
                    {s.name}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="topbar-end">
          {!live ? (
            <span className="live-badge" role="status">
              Reconnecting…
            </span>
          ) : null}
          <span className="user-email" title={session.user.email}>
            {session.user.name || session.user.email}
          </span>
          <button type="button" className="btn btn-quiet" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      {children}
    </div>
  );
}
