import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage, get, onLiveEvent, type LiveEvent } from './api.ts';

export interface Resource<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/**
 * GETs `path` (null: nothing yet). Refetches quietly when `live(event)` says an event touches it,
 * and always after the live stream (re)connects.
 */
export function useResource<T>(path: string | null, live?: (event: LiveEvent) => boolean): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const liveRef = useRef(live);
  liveRef.current = live;
  useEffect(() => {
    if (path === null) {
      setData(null);
      setLoading(false);
      return;
    }
    const ctrl = new AbortController();
    setLoading(true);
    get<T>(path, ctrl.signal).then(
      (d) => {
        setData(d);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if ((err as Error).name === 'AbortError') return;
        setError(errorMessage(err));
        setLoading(false);
      },
    );
    return () => ctrl.abort();
  }, [path, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    if (path === null) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = onLiveEvent((event) => {
      if (event && !(liveRef.current?.(event) ?? false)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(reload, 120);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [path, reload]);

  // The previous path's data stays on screen while the next one loads (no flash of "Loading…").
  return { data, error, loading, reload };
}

/** Runs an action, tracking busy state and the error it ended with. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const run = useCallback(async <R,>(fn: () => Promise<R>): Promise<R | undefined> => {
    setBusy(true);
    setError(null);
    setFields({});
    try {
      return await fn();
    } catch (err) {
      setError(errorMessage(err));
      const f = (err as { fields?: Record<string, string> }).fields;
      if (f) setFields(f);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, fields, run, setError };
}
