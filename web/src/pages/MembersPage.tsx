import { subject } from '@casl/ability';
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, allPages, call, errorMessage, type Role, type Schemas } from '../api/client';
import { Alert, ConfirmDialog, Field, formatTime, SecretBox } from '../components/ui';
import { useSession } from '../session';
import { useWorkspace } from '../workspace';
import { AddMemberForm } from './AddMemberForm';
import { RolesSection, type RoleView } from './RolesSection';

type Member = Schemas['MemberView'];
type Team = Schemas['TeamView'];
type ApiKey = Schemas['ApiKeyView'];
type Invitation = Schemas['InvitationView'];
const ROLES: Role[] = ['owner', 'admin', 'member', 'viewer'];

/** A member's role as the select shows it: a built-in name, or `custom:<id>`. */
const roleValue = (m: Member): string => (m.role === 'custom' && m.customRole ? `custom:${m.customRole.id}` : m.role);
const roleLabel = (m: Member) => (m.role === 'custom' && m.customRole ? m.customRole.name : m.role);

/** Members with roles, teams and their members, API keys: what admins manage; others see what they may read. */
export function MembersPage() {
  const { workspace, ability, reloadPermissions } = useWorkspace();
  const { me } = useSession();
  const wid = workspace.id;
  const [members, setMembers] = useState<Member[] | null>(null);
  const [teams, setTeams] = useState<Team[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [customRoles, setCustomRoles] = useState<RoleView[]>([]);
  const canReadRoles = ability.can('read', 'Role');

  // Roles the caller may grant: CASL says whether it may invite with that role (only owners invite owners).
  const grantable = ROLES.filter((role) => ability.can('create', subject('Invitation', { role })));
  const canAddMembers = grantable.length > 0;
  const canManageTeams = ability.can('create', 'Team');
  const canSeeInvitations = ability.can('read', 'Invitation');

  const load = useCallback(async () => {
    try {
      const [m, t, i, r] = await Promise.all([
        allPages<Member>((cursor) => call(api.GET('/v1/workspaces/{wid}/members', { params: { path: { wid }, query: { limit: 100, cursor } } }))),
        allPages<Team>((cursor) => call(api.GET('/v1/workspaces/{wid}/teams', { params: { path: { wid }, query: { limit: 100, cursor } } }))),
        canSeeInvitations
          ? allPages<Invitation>((cursor) => call(api.GET('/v1/workspaces/{wid}/invitations', { params: { path: { wid }, query: { limit: 100, cursor } } })))
          : Promise.resolve([]),
        canReadRoles ? call(api.GET('/v1/workspaces/{wid}/roles', { params: { path: { wid } } })) : Promise.resolve([] as RoleView[]),
      ]);
      setCustomRoles(r.filter((role) => !role.builtIn));
      setMembers(m);
      setTeams(t);
      setInvitations(i.filter((inv) => inv.status === 'pending'));
    } catch (err) {
      setError(errorMessage(err));
      setMembers((prev) => prev ?? []);
    }
  }, [wid, canSeeInvitations, canReadRoles]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async (work: () => Promise<string>) => {
    setError(null);
    setNotice(null);
    try {
      const message = await work();
      await load();
      // After the reload, so the message never describes a list that is not on screen yet.
      setNotice(message);
    } catch (err) {
      setError(errorMessage(err));
      await load();
    }
  };

  return (
    <>
      <p className="breadcrumb">Settings › Workspace › Members</p>
      <h1>Members</h1>
      <Alert>{error}</Alert>
      <Alert kind="success">{notice}</Alert>

      <section aria-labelledby="members-heading" className="section">
        <h2 id="members-heading">Members</h2>
        {canAddMembers && <AddMemberForm wid={wid} roles={grantable} onAdded={(message) => act(async () => message)} />}
        {members === null ? (
          <p role="status" className="muted">
            Loading members…
          </p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Members of {workspace.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">E-mail</th>
                  <th scope="col">Role</th>
                  <th scope="col">Teams</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {members.map((m) => {
                  const canChange = ability.can('update', subject('Member', { ...m })) && m.userId !== me?.id;
                  const canRemove = ability.can('delete', subject('Member', { ...m }));
                  return (
                    <tr key={m.userId}>
                      <th scope="row">{m.name}</th>
                      <td>{m.email}</td>
                      <td>
                        {canChange ? (
                          <select
                            aria-label={`Role of ${m.name}`}
                            value={roleValue(m)}
                            onChange={(e) =>
                              act(async () => {
                                // A custom role is sent by id (names work too: the API accepts both).
                                const value = e.target.value;
                                const custom = customRoles.find((r) => `custom:${r.id}` === value);
                                const role = custom ? custom.id : value;
                                await call(api.PATCH('/v1/workspaces/{wid}/members/{userId}', { params: { path: { wid, userId: m.userId } }, body: { role } }));
                                return `${m.name} is now ${custom ? custom.name : role}.`;
                              })
                            }
                          >
                            {ROLES.filter((r) => r === m.role || grantable.includes(r)).map((r) => (
                              <option key={r} value={r}>
                                {r}
                              </option>
                            ))}
                            {customRoles.length > 0 && (
                              <optgroup label="Custom roles">
                                {customRoles.map((r) => (
                                  <option key={r.id} value={`custom:${r.id}`}>
                                    {r.name}
                                  </option>
                                ))}
                              </optgroup>
                            )}
                          </select>
                        ) : (
                          roleLabel(m)
                        )}
                      </td>
                      <td>{m.teamIds.map((id) => teams.find((t) => t.id === id)?.name ?? id).join(', ') || '—'}</td>
                      <td>
                        {canRemove && (
                          <button type="button" className="danger" aria-label={m.userId === me?.id ? 'Leave workspace' : `Remove ${m.name}`} onClick={() => setRemoving(m)}>
                            {m.userId === me?.id ? 'Leave' : 'Remove'}
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {canSeeInvitations && (
        <section aria-labelledby="invitations-heading" className="section">
          <h2 id="invitations-heading">Pending invitations</h2>
          {invitations.length === 0 ? (
            <p className="empty">No pending invitations.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <caption className="sr-only">Pending invitations to {workspace.name}</caption>
                <thead>
                  <tr>
                    <th scope="col">E-mail</th>
                    <th scope="col">Role</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {invitations.map((inv) => (
                    <tr key={inv.id}>
                      <th scope="row">{inv.email}</th>
                      <td>{inv.role}</td>
                      <td>{formatTime(inv.expiresAt)}</td>
                      <td>
                        {ability.can('delete', subject('Invitation', { ...inv })) && (
                          <button
                            type="button"
                            className="danger"
                            aria-label={`Revoke invitation to ${inv.email}`}
                            onClick={() =>
                              act(async () => {
                                await call(api.DELETE('/v1/workspaces/{wid}/invitations/{id}', { params: { path: { wid, id: inv.id } } }));
                                return `Revoked the invitation to ${inv.email}.`;
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
        </section>
      )}

      {canReadRoles && <RolesSection wid={wid} canManage={ability.can('create', 'Role')} onChanged={load} />}

      <TeamsSection wid={wid} teams={teams} members={members ?? []} canManage={canManageTeams} act={act} />
      <ApiKeysSection wid={wid} />

      {removing && (
        <ConfirmDialog
          title={removing.userId === me?.id ? `Leave ${workspace.name}?` : `Remove ${removing.name}?`}
          confirmLabel={removing.userId === me?.id ? 'Leave workspace' : 'Remove member'}
          onClose={() => setRemoving(null)}
          onConfirm={() =>
            act(async () => {
              await call(api.DELETE('/v1/workspaces/{wid}/members/{userId}', { params: { path: { wid, userId: removing.userId } } }));
              if (removing.userId === me?.id) await reloadPermissions();
              return `Removed ${removing.name}.`;
            })
          }
        >
          <p>They lose access at once; webhooks they created stop receiving events.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function TeamsSection({
  wid,
  teams,
  members,
  canManage,
  act,
}: {
  wid: string;
  teams: Team[];
  members: Member[];
  canManage: boolean;
  act(work: () => Promise<string>): Promise<void>;
}) {
  const [name, setName] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <section aria-labelledby="teams-heading" className="section">
      <h2 id="teams-heading">Teams</h2>
      {canManage && (
        <form
          className="inline-form"
          aria-label="Create team"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            try {
              await call(api.POST('/v1/workspaces/{wid}/teams', { params: { path: { wid } }, body: { name } }), ['name']);
              setName('');
              await act(async () => `Created team ${name}.`);
            } catch (err) {
              setError(err as ApiError);
            }
          }}
        >
          <Field label="Team name" name="team-name" required value={name} onChange={(e) => setName(e.target.value)} errors={error?.fields.name} />
          <button type="submit">Create team</button>
          {error && !error.fields.name && <Alert>{error.message}</Alert>}
        </form>
      )}
      {teams.length === 0 ? (
        <p className="empty">No teams yet.</p>
      ) : (
        <ul className="teams">
          {teams.map((team) => {
            const inTeam = members.filter((m) => m.teamIds.includes(team.id));
            const others = members.filter((m) => !m.teamIds.includes(team.id));
            return (
              <li key={team.id} className="card">
                <h3>{team.name}</h3>
                {inTeam.length === 0 ? (
                  <p className="muted">No members.</p>
                ) : (
                  <ul className="plain">
                    {inTeam.map((m) => (
                      <li key={m.userId} className="team-member">
                        {m.name} <span className="muted">({m.email})</span>
                        {canManage && (
                          <button
                            type="button"
                            aria-label={`Remove ${m.name} from ${team.name}`}
                            onClick={() =>
                              act(async () => {
                                await call(api.DELETE('/v1/workspaces/{wid}/teams/{tid}/members/{userId}', { params: { path: { wid, tid: team.id, userId: m.userId } } }));
                                return `Removed ${m.name} from ${team.name}.`;
                              })
                            }
                          >
                            Remove
                          </button>
                        )}
                      </li>
                    ))}
                  </ul>
                )}
                {canManage && others.length > 0 && (
                  <form
                    className="inline-form"
                    aria-label={`Add a member to ${team.name}`}
                    onSubmit={(e) => {
                      e.preventDefault();
                      const userId = new FormData(e.currentTarget).get('userId') as string;
                      const who = members.find((m) => m.userId === userId);
                      void act(async () => {
                        await call(api.PUT('/v1/workspaces/{wid}/teams/{tid}/members/{userId}', { params: { path: { wid, tid: team.id, userId } } }));
                        return `Added ${who?.name ?? 'member'} to ${team.name}.`;
                      });
                    }}
                  >
                    <div className="field">
                      <label htmlFor={`team-add-${team.id}`}>Member</label>
                      <select id={`team-add-${team.id}`} name="userId">
                        {others.map((m) => (
                          <option key={m.userId} value={m.userId}>
                            {m.name} ({m.email})
                          </option>
                        ))}
                      </select>
                    </div>
                    <button type="submit">Add to {team.name}</button>
                  </form>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function ApiKeysSection({ wid }: { wid: string }) {
  const { ability } = useWorkspace();
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  const load = useCallback(async () => {
    try {
      setKeys(await allPages<ApiKey>((cursor) => call(api.GET('/v1/workspaces/{wid}/api-keys', { params: { path: { wid }, query: { limit: 100, cursor } } }))));
    } catch (err) {
      setError(err as ApiError);
      setKeys([]);
    }
  }, [wid]);
  useEffect(() => {
    void load();
  }, [load]);

  if (!ability.can('read', 'ApiKey')) return null;
  return (
    <section aria-labelledby="keys-heading" className="section">
      <h2 id="keys-heading">API keys</h2>
      <p className="muted">A key acts as its creator, only inside this workspace. Admins see every key; others see their own.</p>
      {ability.can('create', 'ApiKey') && (
        <form
          className="inline-form"
          aria-label="Create API key"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            try {
              const key = await call(api.POST('/v1/workspaces/{wid}/api-keys', { params: { path: { wid } }, body: { name } }), ['name']);
              setCreated({ name: key.name, key: key.key });
              setName('');
              await load();
            } catch (err) {
              setError(err as ApiError);
            }
          }}
        >
          <Field label="Key name" name="key-name" required value={name} onChange={(e) => setName(e.target.value)} errors={error?.fields.name} />
          <button type="submit">Create API key</button>
        </form>
      )}
      {error && !error.fields.name && <Alert>{errorMessage(error)}</Alert>}
      {created && (
        <div className="card" role="region" aria-label={`New API key ${created.name}`}>
          <SecretBox label="API key" value={created.key} note="Copy it now: it is shown only once. Send it as Authorization: Bearer <key>." />
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      {keys && keys.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <th scope="row">{k.name}</th>
                  <td className="mono">{k.prefix}…</td>
                  <td>{formatTime(k.createdAt)}</td>
                  <td>
                    {ability.can('delete', subject('ApiKey', { ...k })) && (
                      <button type="button" className="danger" aria-label={`Revoke ${k.name}`} onClick={() => setRevoking(k)}>
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
      {keys?.length === 0 && <p className="empty">No API keys.</p>}
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirmLabel="Revoke key"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            try {
              await call(api.DELETE('/v1/workspaces/{wid}/api-keys/{id}', { params: { path: { wid, id: revoking.id } } }));
            } catch (err) {
              setError(err as ApiError);
            }
            await load();
          }}
        >
          <p>The key stops working at once.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
