import { useEffect, useState } from 'react';

export type LinkRequestState<T> =
  { status: 'working' } | { status: 'done'; value: T } | { status: 'failed'; error: unknown };

/**
 * Requests per token, for this page load. A token works once: sending it twice (React runs effects
 * twice in development, and a remount would run them again) would make the second answer "this
 * link was already used" and hide the first. A failed request is forgotten, so "Try again" resends.
 */
const sent = new Map<string, Promise<unknown>>();

function sendOnce<T>(key: string, request: () => Promise<T>): Promise<T> {
  const existing = sent.get(key) as Promise<T> | undefined;
  if (existing !== undefined) return existing;
  const started = request();
  sent.set(key, started);
  void started.catch(() => sent.delete(key));
  return started;
}

/**
 * Posts a link's token as soon as the page opens (confirming an address is safe to do on sight).
 * `attempt` changes when the user asks to try again after a failure that was not the link's fault.
 */
export function useLinkRequest<T>(
  token: string | undefined,
  request: (token: string) => Promise<T>,
  attempt = 0,
): LinkRequestState<T> {
  const [state, setState] = useState<LinkRequestState<T>>({ status: 'working' });
  const [startedFor, setStartedFor] = useState(attempt);
  // A new attempt shows "working" at once, in this render.
  if (startedFor !== attempt) {
    setStartedFor(attempt);
    setState({ status: 'working' });
  }

  useEffect(() => {
    if (token === undefined) return;
    let current = true;
    sendOnce(`${String(attempt)}:${token}`, () => request(token)).then(
      (value) => {
        if (current) setState({ status: 'done', value });
      },
      (error: unknown) => {
        if (current) setState({ status: 'failed', error });
      },
    );
    return () => {
      current = false;
    };
  }, [token, request, attempt]);

  return state;
}
