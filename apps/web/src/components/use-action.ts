import { useCallback, useRef, useState } from 'react';
import { SessionEndedError } from '../api/errors.js';
import { describeError } from '../api/error-messages.js';

export interface Action<A extends unknown[]> {
  run: (...args: A) => Promise<void>;
  pending: boolean;
  /** Plain words, never the API's JSON. */
  error: string | null;
  clearError: () => void;
}

/**
 * One button's request: disabled while in flight (the ref also stops a second click that lands
 * before React re-renders), errors turned into words. A session that ended is not this
 * button's error: the session provider already sends the player to the login page.
 */
export function useAction<A extends unknown[]>(fn: (...args: A) => Promise<void>): Action<A> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inFlight = useRef(false);
  const fnRef = useRef(fn);
  fnRef.current = fn;

  const run = useCallback(async (...args: A) => {
    if (inFlight.current) return;
    inFlight.current = true;
    setPending(true);
    setError(null);
    try {
      await fnRef.current(...args);
    } catch (err) {
      if (!(err instanceof SessionEndedError)) setError(describeError(err));
    } finally {
      inFlight.current = false;
      setPending(false);
    }
  }, []);

  return { run, pending, error, clearError: useCallback(() => setError(null), []) };
}
