import { useState } from 'react';
import { api, ApiError, call, type Role } from '../api/client';
import { Alert, Field } from '../components/ui';

/**
 * Invites a person to the workspace: POST /invitations with an e-mail and a role. They join once they
 * have verified that address and accepted (the mail links to /invitations). The only component that
 * knows how people are added.
 */
export function AddMemberForm({ wid, roles, onAdded }: { wid: string; roles: Role[]; onAdded(message: string): void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>(roles.includes('member') ? 'member' : roles[0]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="inline-form"
      aria-label="Invite member"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await call(api.POST('/v1/workspaces/{wid}/invitations', { params: { path: { wid } }, body: { email, role } }), ['email', 'role']);
          setEmail('');
          onAdded(`Invited ${email} as ${role}. They join once they accept.`);
        } catch (err) {
          const apiError = err as ApiError;
          // 409: already a member, or already invited; the server's sentence says which, next to the address.
          setError(apiError.status === 409 ? new ApiError(409, apiError.messages, { email: apiError.messages }) : apiError);
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
        Send invitation
      </button>
      {error && !error.fields.email && <Alert>{error.message}</Alert>}
    </form>
  );
}
