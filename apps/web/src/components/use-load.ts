import { useCallback, useEffect, useState } from 'react';
import { SessionEndedError } from '../api/errors.js';
import { describeError } from '../api/error-messages.js';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Loads data for a page; a newer load (key change, reload) wins over a slower older one. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => current && setState({ data, error: null, loading: false }),
      (err: unknown) => {
        if (!current || err instanceof SessionEndedError) return;
        setState((s) => ({ ...s, error: describeError(err), loading: false }));
      },
    );
    return () => {
      current = false;
    };
    // `load` is a fresh closure every render; `key` says when its inputs changed.
  }, [key, nonce]);

  return { ...state, reload: useCallback(() => setNonce((n) => n + 1), []) };
}
