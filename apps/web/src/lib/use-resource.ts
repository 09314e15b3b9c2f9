import { useCallback, useEffect, useState } from 'react';
import { isAbortError } from '../api/api-error';

export type Resource<T> =
  { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'ready'; data: T };

export interface ResourceHandle<T> {
  resource: Resource<T>;
  /** Reads it again, keeping what is shown until the answer; resolves with it (undefined if failed). */
  reload: () => Promise<T | undefined>;
  /** After a failure: shows "loading" and reads it again. */
  retry: () => void;
  /** Changes what is shown after a write, without reading it again. */
  update: (change: (data: T) => T) => void;
}

/**
 * One thing the screen reads from the API when it mounts. The read is aborted on unmount, so a late
 * answer never lands in a screen that is gone. `load` must be stable (a module-level function or a
 * `useCallback`), since a new one reads again.
 */
export function useResource<T>(load: (signal?: AbortSignal) => Promise<T>): ResourceHandle<T> {
  const [resource, setResource] = useState<Resource<T>>({ status: 'loading' });

  const read = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const data = await load(signal);
        setResource({ status: 'ready', data });
        return data;
      } catch (error) {
        if (!isAbortError(error)) setResource({ status: 'error', error });
        return undefined;
      }
    },
    [load],
  );

  useEffect(() => {
    const controller = new AbortController();
    void read(controller.signal);
    return () => {
      controller.abort();
    };
  }, [read]);

  const retry = useCallback(() => {
    setResource({ status: 'loading' });
    void read();
  }, [read]);

  const update = useCallback((change: (data: T) => T) => {
    setResource((current) =>
      current.status === 'ready' ? { status: 'ready', data: change(current.data) } : current,
    );
  }, []);

  return { resource, reload: read, retry, update };
}
