import { useState } from 'react';
import { api, ApiError, call, type Role } from '../api/client';
import { Alert, Field } from '../components/ui';

/**
 * Adds a person to the workspace. The only component that knows how: today POST /members with an
 * existing account's e-mail; switching to invitations changes this file alone.
 */
export function AddMemberForm({ wid, roles, onAdded }: { wid: string; roles: Role[]; onAdded(message: string): void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="inline-form"
      aria-label="Add member"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await call(api.POST('/v1/workspaces/{wid}/members', { params: { path: { wid } }, body: { email, role } }), ['email', 'role']);
          setEmail('');
          onAdded(`Added ${email} as ${role}.`);
        } catch (err) {
          const apiError = err as ApiError;
          setError(apiError.status === 404 ? new ApiError(404, ['No account uses this e-mail yet: ask them to sign up first.'], { email: ['No account uses this e-mail yet: ask them to sign up first.'] }) : apiError);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Field label="E-mail" type="email" name="email" required value={email} onChange={(e) => setEmail(e.target.value)} errors={error?.fields.email} />
      <div className="field">
        <label htmlFor="add-member-role">Role</label>
        <select id="add-member-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="primary" disabled={busy}>
        Add member
      </button>
      {error && !error.fields.email && <Alert>{error.message}</Alert>}
    </form>
  );
}
