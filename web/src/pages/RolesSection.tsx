import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, call, errorMessage, type Schemas } from '../api/client';
import { Alert, ConfirmDialog, Field } from '../components/ui';

export type RoleView = Schemas['RoleView'];
type Permission = Schemas['RolePermissionDto'];
type Subject = Permission['subject'];
type Action = Permission['actions'][number];
type Scope = Permission['scope'];

const SUBJECTS: Subject[] = ['Investment', 'Valuation', 'Memo', 'Assumption', 'Pipeline', 'Team', 'Webhook', 'Member', 'ApiKey', 'Workspace'];
const ACTIONS: Action[] = ['read', 'create', 'update', 'delete'];
/** The scopes that apply per subject (permissions.md "Custom roles"). */
const SCOPES: Record<Subject, Scope[]> = {
  Investment: ['all', 'team'],
  Valuation: ['all', 'team'],
  Memo: ['all', 'team', 'own'],
  Assumption: ['all'],
  Pipeline: ['all'],
  Team: ['all', 'team'],
  Webhook: ['all', 'own'],
  Member: ['all', 'own'],
  ApiKey: ['all', 'own'],
  Workspace: ['all'],
};
const FIELD_LIMITED: Subject[] = ['Investment', 'Valuation', 'Memo', 'Assumption', 'Pipeline', 'Team'];

interface Row {
  actions: Set<Action>;
  scope: Scope;
  fields: string;
}

function rowsOf(role?: RoleView): Record<Subject, Row> {
  const rows = Object.fromEntries(SUBJECTS.map((s) => [s, { actions: new Set<Action>(), scope: SCOPES[s][0], fields: '' }])) as Record<Subject, Row>;
  for (const p of role?.permissions ?? []) {
    const actions = p.actions.includes('manage') ? ACTIONS : p.actions;
    rows[p.subject] = { actions: new Set(actions), scope: p.scope, fields: (p.fields ?? []).join(', ') };
  }
  return rows;
}

function permissionsOf(rows: Record<Subject, Row>): Permission[] {
  return SUBJECTS.filter((s) => rows[s].actions.size > 0).map((s) => {
    const fields = rows[s].fields
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    return { subject: s, actions: ACTIONS.filter((a) => rows[s].actions.has(a)), scope: rows[s].scope, ...(fields.length ? { fields } : {}) };
  });
}

/** Custom roles: the list, and for admins an editor (subjects × actions × scope, readable fields). */
export function RolesSection({ wid, canManage, onChanged }: { wid: string; canManage: boolean; onChanged(): Promise<void> }) {
  const [roles, setRoles] = useState<RoleView[] | null>(null);
  const [editing, setEditing] = useState<RoleView | 'new' | null>(null);
  const [deleting, setDeleting] = useState<RoleView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setRoles(await call(api.GET('/v1/workspaces/{wid}/roles', { params: { path: { wid } } })));
    } catch (err) {
      setError(errorMessage(err));
      setRoles((prev) => prev ?? []);
    }
  }, [wid]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="roles-heading" className="section">
      <h2 id="roles-heading">Roles</h2>
      <p className="muted">
        Built-in roles are fixed. Custom roles grant actions per subject, on all rows, your teams' rows or your own, optionally limited to some fields; never more
        than an admin, never owners, never another person's private memo.
      </p>
      <Alert>{error}</Alert>
      <Alert kind="success">{notice}</Alert>
      {canManage && editing === null && (
        <button type="button" onClick={() => setEditing('new')}>
          Create role
        </button>
      )}
      {editing !== null && (
        <RoleEditor
          wid={wid}
          role={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(null)}
          onSaved={async (saved) => {
            setEditing(null);
            setNotice(`Saved role ${saved.name}.`);
            await load();
            await onChanged();
          }}
        />
      )}
      {roles && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Roles</caption>
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Description</th>
                <th scope="col">Members</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {roles.map((r) => (
                <tr key={r.id}>
                  <th scope="row">
                    {r.name}
                    {r.builtIn && <span className="muted"> (built-in)</span>}
                  </th>
                  <td>{r.description ?? '—'}</td>
                  <td>{r.memberCount}</td>
                  <td>
                    {canManage && !r.builtIn && (
                      <>
                        <button type="button" aria-label={`Edit role ${r.name}`} onClick={() => setEditing(r)}>
                          Edit
                        </button>{' '}
                        <button type="button" className="danger" aria-label={`Delete role ${r.name}`} onClick={() => setDeleting(r)}>
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete role ${deleting.name}?`}
          confirmLabel="Delete role"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            setError(null);
            try {
              await call(api.DELETE('/v1/workspaces/{wid}/roles/{id}', { params: { path: { wid, id: deleting.id } } }));
              setNotice(`Deleted role ${deleting.name}.`);
            } catch (err) {
              setError(errorMessage(err));
            }
            await load();
          }}
        >
          <p>A role still assigned to members cannot be deleted: give them another role first.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function RoleEditor({ wid, role, onSaved, onCancel }: { wid: string; role?: RoleView; onSaved(role: RoleView): Promise<void>; onCancel(): void }) {
  const [name, setName] = useState(role?.name ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const [rows, setRows] = useState(() => rowsOf(role));
  const [error, setError] = useState<ApiError | null>(null);
  const update = (s: Subject, change: Partial<Row>) => setRows((prev) => ({ ...prev, [s]: { ...prev[s], ...change } }));

  return (
    <form
      className="card role-editor"
      aria-label={role ? `Edit role ${role.name}` : 'Create role'}
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        const body = { name, description: description || null, permissions: permissionsOf(rows) };
        try {
          const saved = role
            ? await call(api.PATCH('/v1/workspaces/{wid}/roles/{id}', { params: { path: { wid, id: role.id } }, body }), ['name'])
            : await call(api.POST('/v1/workspaces/{wid}/roles', { params: { path: { wid } }, body }), ['name']);
          await onSaved(saved);
        } catch (err) {
          setError(err as ApiError);
        }
      }}
    >
      <h3>{role ? `Edit ${role.name}` : 'Create role'}</h3>
      <Field label="Role name" name="role-name" required value={name} onChange={(e) => setName(e.target.value)} errors={error?.fields.name} />
      <Field label="Role description" name="role-description" multiline value={description} onChange={(e) => setDescription(e.target.value)} />
      <div className="table-wrap">
        <table>
          <caption>Permissions</caption>
          <thead>
            <tr>
              <th scope="col">Subject</th>
              {ACTIONS.map((a) => (
                <th scope="col" key={a}>
                  {a}
                </th>
              ))}
              <th scope="col">Scope</th>
              <th scope="col">Readable fields</th>
            </tr>
          </thead>
          <tbody>
            {SUBJECTS.map((s) => (
              <tr key={s}>
                <th scope="row">{s}</th>
                {ACTIONS.map((a) => (
                  <td key={a}>
                    <input
                      type="checkbox"
                      aria-label={`${s}: ${a}`}
                      checked={rows[s].actions.has(a)}
                      onChange={(e) => {
                        const actions = new Set(rows[s].actions);
                        if (e.target.checked) actions.add(a);
                        else actions.delete(a);
                        update(s, { actions });
                      }}
                    />
                  </td>
                ))}
                <td>
                  <select aria-label={`${s}: scope`} value={rows[s].scope} onChange={(e) => update(s, { scope: e.target.value as Scope })}>
                    {SCOPES[s].map((scope) => (
                      <option key={scope} value={scope}>
                        {scope}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  {FIELD_LIMITED.includes(s) && (
                    <input
                      aria-label={`${s}: readable fields`}
                      placeholder="all fields"
                      value={rows[s].fields}
                      onChange={(e) => update(s, { fields: e.target.value })}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="hint">Readable fields: comma-separated, e.g. "name, teamId, status" (id is always readable); empty for all.</p>
      {error && !error.fields.name && (
        <Alert>
          <ul className="plain">
            {error.messages.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        </Alert>
      )}
      <div className="actions">
        <button type="submit" className="primary">
          Save role
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
