import { createContext, useContext } from 'react';
import type { Session } from './api.ts';

export interface SessionState {
  session: Session;
  signOut: () => Promise<void>;
  /** Replaces the session (e.g. after the business name changed). */
  refresh: () => Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in screen');
  return s;
}
