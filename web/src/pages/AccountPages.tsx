import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, ApiError, allPages, call, errorMessage, type Schemas } from '../api/client';
import { Alert, ConfirmDialog, Field, formatTime } from '../components/ui';
import { useSession } from '../session';

type SessionInfo = Schemas['SessionInfoView'];

/** The page the verification mail links to: `/verify-email?token=…`, signed in or not. */
export function VerifyEmailPage() {
  const token = new URLSearchParams(useSearch()).get('token') ?? '';
  const { me, refresh } = useSession();
  const [state, setState] = useState<{ done: boolean; error: string | null }>({ done: false, error: null });
  // One request per token, even when React runs the effect twice (StrictMode).
  const sent = useRef<string | null>(null);
  useEffect(() => {
    if (sent.current === token) return;
    sent.current = token;
    if (!token) return setState({ done: false, error: 'This link has no token: open the link from the mail again.' });
    call(api.POST('/v1/auth/verify-email', { body: { token } }))
      .then(async () => {
        setState({ done: true, error: null });
        if (me) await refresh();
      })
      .catch((err) => setState({ done: false, error: errorMessage(err) }));
  }, [token, me, refresh]);
  return (
    <>
      <h1>Verify your e-mail address</h1>
      {!state.done && !state.error && (
        <p role="status" className="muted">
          Verifying…
        </p>
      )}
      <Alert>{state.error}</Alert>
      {state.done && <Alert kind="success">Your e-mail address is verified.</Alert>}
      <p>{me ? <Link href="/">Continue to the console</Link> : <Link href="/login">Log in</Link>}</p>
    </>
  );
}

/** Asks for a reset link. The answer is the same whether or not the address has an account. */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <h1>Reset your password</h1>
      {sent ? (
        <Alert kind="success">If an account exists for {email}, we sent a link to choose a new password. It works once, for an hour.</Alert>
      ) : (
        <form
          aria-label="Reset your password"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError(null);
            try {
              await call(api.POST('/v1/auth/password-reset', { body: { email } }), ['email']);
              setSent(true);
            } catch (err) {
              setError(err as ApiError);
            } finally {
              setBusy(false);
            }
          }}
        >
          <Field label="Email" name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} errors={error?.fields.email} />
          {error && !error.fields.email && <Alert>{error.message}</Alert>}
          <button type="submit" className="primary" disabled={busy}>
            Send reset link
          </button>
        </form>
      )}
      <p>
        <Link href="/login">Back to log in</Link>
      </p>
    </>
  );
}

/** The page the reset mail links to: `/reset-password?token=…`. Every session ends; the user logs in again. */
export function ResetPasswordPage() {
  const token = new URLSearchParams(useSearch()).get('token') ?? '';
  const { me, signOut } = useSession();
  const [, navigate] = useLocation();
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <h1>Choose a new password</h1>
      {done ? (
        <>
          <Alert kind="success">Your password is changed and every session has ended.</Alert>
          <p>
            <Link href="/login">Log in with the new password</Link>
          </p>
        </>
      ) : (
        <form
          aria-label="Choose a new password"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError(null);
            try {
              await call(api.POST('/v1/auth/password-reset/confirm', { body: { token, password } }), ['password', 'token']);
              // The server ended every session, this browser's too: to the login page, which says why.
              if (me) {
                await signOut();
                navigate('/login?reset=done');
                return;
              }
              setDone(true);
            } catch (err) {
              setError(err as ApiError);
            } finally {
              setBusy(false);
            }
          }}
        >
          {!token && <Alert>This link has no token: open the link from the mail again.</Alert>}
          <Field
            label="New password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            hint="At least 10 characters, not a commonly breached password."
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            errors={error?.fields.password}
          />
          {error && !error.fields.password && <Alert>{error.fields.token ? 'This link is invalid or has expired: ask for a new one.' : error.message}</Alert>}
          <button type="submit" className="primary" disabled={busy || !token}>
            Set new password
          </button>
          {error && !error.fields.password && (
            <p>
              <Link href="/forgot-password">Ask for a new link</Link>
            </p>
          )}
        </form>
      )}
    </>
  );
}

/** Shown to signed-in people whose address is not verified yet (they cannot answer invitations). */
export function VerifyBanner() {
  const { me } = useSession();
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  if (!me || me.emailVerified) return null;
  return (
    <div className="banner" role="region" aria-label="E-mail verification">
      <span>
        Please verify your e-mail address: we sent a link to <strong>{me.email}</strong>.
      </span>
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await call(api.POST('/v1/auth/resend-verification'));
            setMessage({ kind: 'success', text: `Sent a new link to ${me.email}.` });
          } catch (err) {
            setMessage({ kind: 'error', text: errorMessage(err) });
          } finally {
            setBusy(false);
          }
        }}
      >
        Resend verification
      </button>
      {message && <Alert kind={message.kind}>{message.text}</Alert>}
    </div>
  );
}

/** The signed-in person's sessions and password. */
export function AccountPage() {
  const { me } = useSession();
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmingOthers, setConfirmingOthers] = useState(false);

  const load = useCallback(async () => {
    try {
      setSessions(await allPages<SessionInfo>((cursor) => call(api.GET('/v1/me/sessions', { params: { query: { limit: 100, cursor } } }))));
    } catch (err) {
      setError(errorMessage(err));
      setSessions((prev) => prev ?? []);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (work: () => Promise<string>) => {
    setError(null);
    setNotice(null);
    try {
      const message = await work();
      await load();
      setNotice(message);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const others = (sessions ?? []).filter((s) => !s.current);
  return (
    <>
      <h1>Account</h1>
      <p>
        {me?.name} · {me?.email} {me?.emailVerified ? '(verified)' : '(not verified)'}
      </p>
      <Alert>{error}</Alert>
      <Alert kind="success">{notice}</Alert>

      <section aria-labelledby="sessions-heading" className="section">
        <h2 id="sessions-heading">Sessions</h2>
        {sessions === null ? (
          <p role="status" className="muted">
            Loading sessions…
          </p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Your sessions</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Signed in</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {sessions.map((s) => (
                  <tr key={s.id}>
                    <th scope="row">
                      {s.userAgent ?? 'Unknown device'}
                      {s.current && <span className="badge"> This session</span>}
                    </th>
                    <td>{formatTime(s.createdAt)}</td>
                    <td>{formatTime(s.lastUsedAt)}</td>
                    <td>
                      {!s.current && (
                        <button
                          type="button"
                          className="danger"
                          aria-label={`Revoke session signed in ${formatTime(s.createdAt)}`}
                          onClick={() =>
                            act(async () => {
                              await call(api.DELETE('/v1/me/sessions/{id}', { params: { path: { id: s.id } } }));
                              return 'Session revoked.';
                            })
                          }
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {others.length > 0 && (
          <button type="button" className="danger" onClick={() => setConfirmingOthers(true)}>
            Log out other sessions
          </button>
        )}
      </section>

      <ChangePasswordForm onChanged={() => act(async () => 'Password changed. Your other sessions have ended.')} />

      {confirmingOthers && (
        <ConfirmDialog
          title="Log out every other session?"
          confirmLabel="Log out other sessions"
          onClose={() => setConfirmingOthers(false)}
          onConfirm={() =>
            act(async () => {
              await call(api.DELETE('/v1/me/sessions'));
              return 'Every other session has ended.';
            })
          }
        >
          <p>Other browsers and devices signed in as you must log in again. This one stays signed in.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function ChangePasswordForm({ onChanged }: { onChanged(): void }) {
  const [form, setForm] = useState({ currentPassword: '', newPassword: '' });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section aria-labelledby="password-heading" className="section">
      <h2 id="password-heading">Change password</h2>
      <form
        aria-label="Change password"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await call(api.POST('/v1/me/password', { body: form }), ['currentPassword', 'newPassword']);
            setForm({ currentPassword: '', newPassword: '' });
            onChanged();
          } catch (err) {
            const apiError = err as ApiError;
            // 403: the current password is wrong; say so under that field.
            setError(apiError.status === 403 ? new ApiError(403, apiError.messages, { currentPassword: apiError.messages }) : apiError);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field
          label="Current password"
          name="current-password"
          type="password"
          autoComplete="current-password"
          required
          value={form.currentPassword}
          onChange={(e) => setForm({ ...form, currentPassword: e.target.value })}
          errors={error?.fields.currentPassword}
        />
        <Field
          label="New password"
          name="new-password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 10 characters, not a commonly breached password."
          value={form.newPassword}
          onChange={(e) => setForm({ ...form, newPassword: e.target.value })}
          errors={error?.fields.newPassword}
        />
        {error && !error.fields.currentPassword && !error.fields.newPassword && <Alert>{error.message}</Alert>}
        <button type="submit" className="primary" disabled={busy}>
          Change password
        </button>
      </form>
    </section>
  );
}
