// Signing in and the pages reached from emailed or printed links: forgot password, reset password,
// accept an invitation, and the first-run welcome link that `npm start` prints.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { post, setCsrfToken, type Session } from '../api.ts';
import { useAction } from '../hooks.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { ErrorAlert, Field, fieldText } from '../ui/Field.tsx';

function AuthPage({ title, children, intro }: { title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <div className="auth-page">
      <header className="auth-brand">
        <svg aria-hidden="true" viewBox="0 0 32 32" width="36" height="36">
          <rect width="32" height="32" rx="7" fill="currentColor" />
          <path d="M10.5 7.5c1-.6 2.1-.3 2.7.7l1.6 2.8c.5.9.3 2-.5 2.6l-1.3 1c.8 1.8 2.1 3.3 3.8 4.3l1.1-1.2c.7-.7 1.8-.9 2.6-.3l2.7 1.8c.9.6 1.2 1.8.6 2.7l-1 1.6c-.8 1.3-2.4 1.8-3.8 1.3C13 22.9 9 18.7 7.6 13c-.4-1.4.2-2.9 1.4-3.7z" fill="#fff" />
        </svg>
        <span>Ringback</span>
      </header>
      <main id="main" className="card auth-card">
        <h1>{title}</h1>
        {intro ? <div className="auth-intro">{intro}</div> : null}
        {children}
      </main>
    </div>
  );
}

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, fields, run } = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const session = await run(() => post<Session>('/auth/login', { email, password }));
    if (session) onSignedIn(session);
  };
  return (
    <AuthPage title="Sign in" intro={<p>Missed calls, texts and callbacks for your business, in one place.</p>}>
      <form onSubmit={submit} noValidate>
        <ErrorAlert message={error} />
        <Field label="Email" error={fieldText('Email', fields.email)}>
          {(p) => <input {...p} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Password" error={fieldText('Password', fields.password)}>
          {(p) => <input {...p} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="auth-links">
        <Link to="/forgot-password">Forgot password?</Link>
      </p>
    </AuthPage>
  );
}

export function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const { busy, error, fields, run } = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await run(() => post('/auth/password-reset', { email }));
    if (ok !== undefined) setSent(true);
  };
  return (
    <AuthPage title="Reset your password">
      {sent ? (
        <div role="status">
          <p>
            If <strong>{email}</strong> belongs to someone here, a link to set a new password is on its way. It works for one hour.
          </p>
          <p className="muted">No email? The owner can also set a password with RINGBACK_ADMIN_PASSWORD when starting Ringback.</p>
        </div>
      ) : (
        <form onSubmit={submit} noValidate>
          <p>Enter the email you sign in with and we will send you a link to choose a new password.</p>
          <ErrorAlert message={error} />
          <Field label="Email" error={fieldText('Email', fields.email)}>
            {(p) => <input {...p} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Sending…' : 'Send reset link'}
          </button>
        </form>
      )}
      <p className="auth-links">
        <Link to="/sign-in">Back to sign in</Link>
      </p>
    </AuthPage>
  );
}

function NewPasswordForm({ onSubmit, busy, error, fieldError, button = 'Set password', extra }: { onSubmit: (password: string) => void; busy: boolean; error: string | null; fieldError?: string | undefined; button?: string; extra?: ReactNode }) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (confirm && confirm !== password) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    onSubmit(password);
  };
  return (
    <form onSubmit={submit} noValidate>
      <ErrorAlert message={error} />
      {extra}
      <Field label="New password" hint="At least 10 characters. A few unrelated words make a strong one." error={fieldError}>
        {(p) => <input {...p} type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}
      </Field>
      <Field label="Confirm new password" error={mismatch ? 'The two passwords differ.' : undefined}>
        {(p) => <input {...p} type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />}
      </Field>
      <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
        {busy ? 'Saving…' : button}
      </button>
    </form>
  );
}

/** The first-run link (`/welcome?token=…`): signs the owner in, then asks for their own password. */
export function Welcome({ onSignedIn, signedIn }: { onSignedIn: (s: Session) => void; signedIn: boolean }) {
  const loc = useLocation();
  const token = loc.query.get('token');
  const [opened, setOpened] = useState<Session | null>(null);
  const redeem = useAction();
  const save = useAction();
  const started = useRef(false);

  useEffect(() => {
    if (!token || started.current) return;
    started.current = true;
    void redeem.run(async () => {
      const s = await post<Session>('/auth/welcome', { token });
      // Signed in: the password change below needs this session's CSRF token.
      setCsrfToken(s.csrfToken);
      setOpened(s);
      // The link is spent: do not leave it in the address bar or the history.
      history.replaceState(null, '', '/welcome');
      return s;
    });
  }, [token, redeem]);

  const setPassword = async (newPassword: string) => {
    if (!opened) return;
    // A session opened by the welcome link may set the password without the current one.
    const done = await save.run(async () => {
      await post('/auth/password', { newPassword });
      return true;
    });
    if (done) {
      onSignedIn(opened);
      navigate('/get-started', { replace: true });
    }
  };

  if (!token && !opened) {
    return (
      <AuthPage title="Welcome to Ringback">
        <p>This page opens from the link Ringback printed when it first started. That link works once, for 24 hours.</p>
        {signedIn ? (
          <p>
            You are already signed in. <Link to="/get-started">Continue to Get started</Link>.
          </p>
        ) : (
          <p>
            <Link to="/sign-in">Sign in with your email and password</Link> instead.
          </p>
        )}
      </AuthPage>
    );
  }
  if (!opened) {
    return (
      <AuthPage title="Welcome to Ringback">
        {redeem.error ? (
          <>
            <ErrorAlert message={redeem.error} />
            <p>
              The link may have been used already or expired. <Link to="/sign-in">Sign in</Link> with your email and password, or use{' '}
              <Link to="/forgot-password">Forgot password?</Link>
            </p>
          </>
        ) : (
          <p role="status">Signing you in…</p>
        )}
      </AuthPage>
    );
  }
  return (
    <AuthPage
      title="Welcome to Ringback"
      intro={
        <p>
          You are signed in as <strong>{opened.user.email}</strong>. Choose a password for next time, then set up your business.
        </p>
      }
    >
      <NewPasswordForm onSubmit={(p) => void setPassword(p)} busy={save.busy} error={save.error} fieldError={fieldText('New password', save.fields.newPassword)} />
      <p className="auth-links">
        <button
          type="button"
          className="btn-link"
          onClick={() => {
            onSignedIn(opened);
            navigate('/get-started', { replace: true });
          }}
        >
          Skip for now
        </button>
      </p>
    </AuthPage>
  );
}

/** The emailed reset link (`/reset-password?token=…`). */
export function ResetPassword() {
  const loc = useLocation();
  const token = loc.query.get('token') ?? '';
  const [done, setDone] = useState(false);
  const { busy, error, fields, run } = useAction();
  const submit = async (newPassword: string) => {
    const ok = await run(async () => {
      await post('/auth/password-reset/complete', { token, newPassword });
      return true;
    });
    if (ok) setDone(true);
  };
  return (
    <AuthPage title="Choose a new password">
      {done ? (
        <p role="status">
          Your password is changed. <Link to="/sign-in">Sign in</Link> with it.
        </p>
      ) : !token ? (
        <p>
          This page opens from the link in a password reset email. <Link to="/forgot-password">Ask for a new link</Link>.
        </p>
      ) : (
        <NewPasswordForm onSubmit={(p) => void submit(p)} busy={busy} error={error} fieldError={fieldText('New password', fields.newPassword)} />
      )}
      <p className="auth-links">
        <Link to="/sign-in">Back to sign in</Link>
      </p>
    </AuthPage>
  );
}

/** The emailed invitation (`/accept-invite?token=…`): a name and a password, then in. */
export function AcceptInvite({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const loc = useLocation();
  const token = loc.query.get('token') ?? '';
  const [name, setName] = useState('');
  const { busy, error, fields, run } = useAction();
  const submit = async (password: string) => {
    const s = await run(() => post<Session>('/auth/invitations/accept', { token, password, ...(name.trim() ? { name: name.trim() } : {}) }));
    if (s) {
      onSignedIn(s);
      navigate('/inbox', { replace: true });
    }
  };
  return (
    <AuthPage title="Join your team on Ringback">
      {!token ? (
        <p>This page opens from the link in an invitation email. Ask whoever invited you to send it again.</p>
      ) : (
        <NewPasswordForm
          onSubmit={(p) => void submit(p)}
          busy={busy}
          error={error}
          fieldError={fieldText('Password', fields.password)}
          button="Join"
          extra={
            <Field label="Your name" error={fieldText('Name', fields.name)}>
              {(p) => <input {...p} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
          }
        />
      )}
    </AuthPage>
  );
}
