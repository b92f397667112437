import { useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, ApiError, call } from '../api/client';
import { Alert, Field } from '../components/ui';
import { useSession } from '../session';

export function AuthPage({ mode }: { mode: 'login' | 'signup' }) {
  const { signIn } = useSession();
  const [, navigate] = useLocation();
  const [form, setForm] = useState({ email: '', name: '', password: '' });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const signup = mode === 'signup';
  const afterReset = new URLSearchParams(useSearch()).get('reset') === 'done';
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });

  return (
    <main id="main" className="auth">
      <h1>Countercyclical</h1>
      <h2>{signup ? 'Create your account' : 'Log in'}</h2>
      {afterReset && !signup && <Alert kind="success">Your password is changed and every session has ended. Log in with the new password.</Alert>}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const fields = ['email', 'name', 'password'];
            const session = signup
              ? await call(api.POST('/v1/auth/signup', { body: form }), fields)
              : await call(api.POST('/v1/auth/login', { body: { email: form.email, password: form.password } }), fields);
            await signIn(session.token);
            navigate('/');
          } catch (err) {
            setError(err as ApiError);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Email" name="email" type="email" autoComplete="email" required value={form.email} onChange={set('email')} errors={error?.fields.email} />
        {signup && <Field label="Name" name="name" autoComplete="name" required value={form.name} onChange={set('name')} errors={error?.fields.name} />}
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete={signup ? 'new-password' : 'current-password'}
          required
          minLength={signup ? 10 : undefined}
          hint={signup ? 'At least 10 characters, not a commonly breached password.' : undefined}
          value={form.password}
          onChange={set('password')}
          errors={error?.fields.password}
        />
        {error && Object.keys(error.fields).length === 0 && (
          <Alert>{error.status === 401 ? 'Wrong email or password.' : error.message}</Alert>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {signup ? 'Sign up' : 'Log in'}
        </button>
      </form>
      <p>
        {signup ? (
          <>
            Already have an account? <Link href="/login">Log in</Link>
          </>
        ) : (
          <>
            <Link href="/forgot-password">Forgot your password?</Link> · New here? <Link href="/signup">Create an account</Link>
          </>
        )}
      </p>
    </main>
  );
}
