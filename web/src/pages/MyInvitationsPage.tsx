import { useCallback, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, allPages, call, errorMessage, type Schemas } from '../api/client';
import { Alert, formatTime } from '../components/ui';
import { useSession } from '../session';

type MyInvitation = Schemas['MyInvitationView'];

/** The invitations mailed to the signed-in person's address (the invitation mail links here): accept or decline. */
export function MyInvitationsPage() {
  const { me, refresh } = useSession();
  const [invitations, setInvitations] = useState<MyInvitation[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ text: string; wid?: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const rows = await allPages<MyInvitation>((cursor) => call(api.GET('/v1/me/invitations', { params: { query: { limit: 100, cursor } } })));
      setInvitations(rows.filter((i) => i.status === 'pending'));
    } catch (err) {
      setError(errorMessage(err));
      setInvitations([]);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load, me?.emailVerified]);

  const answer = async (inv: MyInvitation, accept: boolean) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      if (accept) {
        await call(api.POST('/v1/me/invitations/{id}/accept', { params: { path: { id: inv.id } } }));
        await refresh();
        setNotice({ text: `You joined ${inv.workspaceName} as ${inv.role}.`, wid: inv.workspaceId });
      } else {
        await call(api.POST('/v1/me/invitations/{id}/decline', { params: { path: { id: inv.id } } }));
        setNotice({ text: `Declined the invitation to ${inv.workspaceName}.` });
      }
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
      await load();
    }
  };

  return (
    <>
      <h1>My invitations</h1>
      <Alert>{error}</Alert>
      {notice && (
        <Alert kind="success">
          {notice.text} {notice.wid && <Link href={`/w/${notice.wid}/settings/developers`}>Open the workspace</Link>}
        </Alert>
      )}
      {me && !me.emailVerified && <p>Invitations are shown once your e-mail address is verified.</p>}
      {invitations === null ? (
        <p role="status" className="muted">
          Loading invitations…
        </p>
      ) : invitations.length === 0 ? (
        <p className="empty">No pending invitations.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Invitations to {me?.email}</caption>
            <thead>
              <tr>
                <th scope="col">Workspace</th>
                <th scope="col">Role</th>
                <th scope="col">Invited by</th>
                <th scope="col">Expires</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((inv) => (
                <tr key={inv.id}>
                  <th scope="row">{inv.workspaceName}</th>
                  <td>{inv.role}</td>
                  <td>{inv.invitedByName ?? '—'}</td>
                  <td>{formatTime(inv.expiresAt)}</td>
                  <td className="actions">
                    <button type="button" className="primary" disabled={busy} aria-label={`Accept invitation to ${inv.workspaceName}`} onClick={() => answer(inv, true)}>
                      Accept
                    </button>
                    <button type="button" disabled={busy} aria-label={`Decline invitation to ${inv.workspaceName}`} onClick={() => answer(inv, false)}>
                      Decline
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
