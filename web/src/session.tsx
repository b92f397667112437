import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, call, setUnauthorizedHandler, tokenStore, type Schemas } from './api/client';

type Me = Schemas['MeView'];

interface Session {
  me: Me | null;
  loading: boolean;
  signIn(token: string): Promise<void>;
  signOut(): Promise<void>;
  refresh(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(() => !!tokenStore.get());

  const refresh = useCallback(async () => {
    if (!tokenStore.get()) return setMe(null);
    try {
      setMe(await call(api.GET('/v1/me')));
    } catch {
      tokenStore.clear();
      setMe(null);
    } finally {
      setLoading(false);
    }
  }, []);

  const signIn = useCallback(
    async (token: string) => {
      tokenStore.set(token);
      await refresh();
    },
    [refresh],
  );

  const signOut = useCallback(async () => {
    // Revoke the token on the server; forget it locally even if the server cannot be reached.
    const token = tokenStore.get();
    if (token) await api.POST('/v1/auth/logout').catch(() => undefined);
    tokenStore.clear();
    setMe(null);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      tokenStore.clear();
      setMe(null);
    });
    void refresh();
  }, [refresh]);

  const value = useMemo(() => ({ me, loading, signIn, signOut, refresh }), [me, loading, signIn, signOut, refresh]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
