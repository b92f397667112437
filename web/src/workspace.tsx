import { createMongoAbility, type MongoAbility } from '@casl/ability';
import { unpackRules, type PackRule } from '@casl/ability/extra';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, call, errorMessage, type Schemas } from './api/client';
import { useSession } from './session';

export type Ability = MongoAbility;
type Workspace = Schemas['WorkspaceView'];

interface WorkspaceState {
  workspace: Workspace;
  ability: Ability;
  reloadPermissions(): Promise<void>;
}

const WorkspaceContext = createContext<WorkspaceState | null>(null);

/**
 * Loads the caller's packed CASL rules for one workspace (the same rules the server enforces) and builds
 * the ability the UI uses to hide what the role may not do. The server still decides every request.
 */
export function WorkspaceProvider({ wid, children, fallback }: { wid: string; children: ReactNode; fallback: (error: string) => ReactNode }) {
  const { me } = useSession();
  const [state, setState] = useState<{ workspace: Workspace; ability: Ability } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    if (!me) return;
    setError(null);
    try {
      const [workspace, permissions] = await Promise.all([
        call(api.GET('/v1/workspaces/{wid}', { params: { path: { wid } } })),
        call(api.GET('/v1/workspaces/{wid}/members/{userId}/permissions', { params: { path: { wid, userId: me.id } } })),
      ]);
      const rules = unpackRules(permissions.rules as PackRule<never>[]);
      setState({ workspace: workspace as Workspace, ability: createMongoAbility(rules as never) });
    } catch (err) {
      setState(null);
      setError(errorMessage(err));
    }
  }, [wid, me]);

  useEffect(() => {
    void load();
  }, [load]);

  const value = useMemo(() => (state ? { ...state, reloadPermissions: load } : null), [state, load]);
  if (error) return <>{fallback(error)}</>;
  if (!value) return <p className="muted" role="status">Loading workspace…</p>;
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

export function useWorkspace(): WorkspaceState {
  const state = useContext(WorkspaceContext);
  if (!state) throw new Error('useWorkspace outside WorkspaceProvider');
  return state;
}
