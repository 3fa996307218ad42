import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiClient } from './api/client.js';
import { SessionEndedError } from './api/errors.js';
import { localSessionHint } from './api/session-hint.js';
import type { AuthResponse, Me } from './api/types.js';

export type SessionStatus = 'booting' | 'anonymous' | 'authenticated';

/** Why the player is looking at the login page, shown there in plain words. */
export type LoginNotice = 'session_ended' | 'logged_out' | null;

interface SessionValue {
  api: ApiClient;
  status: SessionStatus;
  me: Me | null;
  notice: LoginNotice;
  /** After signup or login. */
  begin(auth: AuthResponse): Promise<void>;
  /** Re-reads /api/me (balance, streak). */
  reload(): Promise<void>;
  /** Updates the balance shown everywhere after a play or reward, without a round trip. */
  setBalance(balance: number): void;
  setStreak(streak: Me['streak']): void;
  logout(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children, api: given }: { children: ReactNode; api?: ApiClient }) {
  const [api] = useState(() => given ?? new ApiClient(localSessionHint()));
  const [status, setStatus] = useState<SessionStatus>(() => (api.hasStoredSession() ? 'booting' : 'anonymous'));
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<LoginNotice>(null);

  useEffect(
    () =>
      api.onSessionEnd((reason) => {
        setMe(null);
        setStatus('anonymous');
        setNotice(reason === 'expired' ? 'session_ended' : 'logged_out');
      }),
    [api],
  );

  // Several callers may ask at once (resume, the lobby); they share one request.
  const reloading = useRef<Promise<void> | null>(null);
  const reload = useCallback(() => {
    reloading.current ??= api
      .request<Me>('GET', '/api/me')
      .then((next) => {
        setMe(next);
        setStatus('authenticated');
      })
      .finally(() => {
        reloading.current = null;
      });
    return reloading.current;
  }, [api]);

  // The refresh cookie outlives the page, so a reload (or a new tab) picks up the session.
  const [bootStatus] = useState(status);
  useEffect(() => {
    if (bootStatus !== 'booting') return;
    api.resume().then(reload).catch((err: unknown) => {
      setStatus('anonymous');
      if (err instanceof SessionEndedError) setNotice('session_ended');
    });
  }, [api, bootStatus, reload]);

  const value = useMemo<SessionValue>(
    () => ({
      api,
      status,
      me,
      notice,
      begin: async (auth) => {
        api.adopt(auth);
        setNotice(null);
        await reload();
      },
      reload,
      setBalance: (balance) => setMe((m) => (m ? { ...m, balance } : m)),
      setStreak: (streak) => setMe((m) => (m ? { ...m, streak } : m)),
      logout: () => api.logout(),
    }),
    [api, status, me, notice, reload],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
