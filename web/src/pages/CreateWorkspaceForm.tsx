import { useState } from 'react';
import { useLocation } from 'wouter';
import { api, ApiError, call } from '../api/client';
import { Alert, Field } from '../components/ui';
import { useSession } from '../session';

export function CreateWorkspaceForm({ onCreated }: { onCreated?(): void }) {
  const { refresh } = useSession();
  const [, navigate] = useLocation();
  const [name, setName] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="inline-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          const ws = await call(api.POST('/v1/workspaces', { body: { name } }), ['name']);
          await refresh();
          onCreated?.();
          navigate(`/w/${ws.id}/settings/developers`);
        } catch (err) {
          setError(err as ApiError);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Field label="Workspace name" name="name" value={name} onChange={(e) => setName(e.target.value)} required errors={error?.fields.name} />
      {error && !error.fields.name && <Alert>{error.message}</Alert>}
      <button type="submit" className="primary" disabled={busy}>
        Create workspace
      </button>
    </form>
  );
}
