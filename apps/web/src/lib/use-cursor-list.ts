import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { isAbortError } from '../api/api-error';

export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

export type LoadCursorPage<T> = (
  cursor: string | undefined,
  signal: AbortSignal,
) => Promise<CursorPage<T>>;

interface CursorListState<T> {
  items: T[];
  nextCursor: string | null;
  status: 'loading' | 'ready' | 'error';
  error: unknown;
  loadingMore: boolean;
  moreError: unknown;
  /**
   * Set by each successful "load more" (a new object every time): the id of the first item it
   * added, or null when the page brought nothing new. Screens move focus there.
   */
  loadedMore: { firstNewId: string | null } | null;
}

export interface CursorList<T> extends CursorListState<T> {
  loadMore: () => void;
  retry: () => void;
  prepend: (item: T) => void;
  replace: (item: T) => void;
  remove: (id: string) => void;
}

const initialState = {
  items: [],
  nextCursor: null,
  status: 'loading',
  error: undefined,
  loadingMore: false,
  moreError: undefined,
  loadedMore: null,
} as const;

/**
 * A list read page by page with the API's opaque cursor ("load more"). `loadPage` must be stable
 * (a module-level function), since a new one starts the list again.
 */
export function useCursorList<T extends { id: string }>(
  loadPage: LoadCursorPage<T>,
): CursorList<T> {
  const [state, setState] = useState<CursorListState<T>>(() => ({ ...initialState, items: [] }));
  const [generation, setGeneration] = useState(0);
  const moreController = useRef<AbortController | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    loadPage(undefined, controller.signal).then(
      (page) => {
        setState({
          ...initialState,
          items: page.items,
          nextCursor: page.nextCursor,
          status: 'ready',
        });
      },
      (error: unknown) => {
        if (isAbortError(error)) return;
        setState((current) => ({ ...current, status: 'error', error }));
      },
    );
    return () => {
      controller.abort();
      moreController.current?.abort();
    };
  }, [loadPage, generation]);

  const { nextCursor, status, loadingMore } = state;

  const loadMore = useCallback(() => {
    if (nextCursor === null || status !== 'ready' || loadingMore) return;
    const controller = new AbortController();
    moreController.current = controller;
    setState((current) => ({ ...current, loadingMore: true, moreError: undefined }));
    loadPage(nextCursor, controller.signal).then(
      (page) => {
        setState((current) => {
          // An item created here meanwhile may also arrive in the next page; show it once.
          const known = new Set(current.items.map((item) => item.id));
          const added = page.items.filter((item) => !known.has(item.id));
          return {
            ...current,
            items: [...current.items, ...added],
            nextCursor: page.nextCursor,
            loadingMore: false,
            loadedMore: { firstNewId: added[0]?.id ?? null },
          };
        });
      },
      (error: unknown) => {
        if (isAbortError(error)) return;
        setState((current) => ({ ...current, loadingMore: false, moreError: error }));
      },
    );
  }, [loadPage, nextCursor, status, loadingMore]);

  const retry = useCallback(() => {
    setState({ ...initialState, items: [] });
    setGeneration((value) => value + 1);
  }, []);

  const prepend = useCallback((item: T) => {
    setState((current) => ({
      ...current,
      items: [item, ...current.items.filter((existing) => existing.id !== item.id)],
    }));
  }, []);

  const replace = useCallback((item: T) => {
    setState((current) => ({
      ...current,
      items: current.items.map((existing) => (existing.id === item.id ? item : existing)),
    }));
  }, []);

  const remove = useCallback((id: string) => {
    setState((current) => ({
      ...current,
      items: current.items.filter((existing) => existing.id !== id),
    }));
  }, []);

  return { ...state, loadMore, retry, prepend, replace, remove };
}

/**
 * After "load more", focus moves to the first new item, so a keyboard or screen reader user goes
 * on reading where the new content starts (the button they pressed may be gone: the last page has
 * none). With nothing new, focus goes to `fallback` (the list's heading).
 */
export function useFocusAfterLoadMore(
  loadedMore: CursorListState<unknown>['loadedMore'],
  /** Each item's element has the id `${elementIdPrefix}${item.id}` and tabIndex -1. */
  elementIdPrefix: string,
  fallback: RefObject<HTMLElement | null>,
): void {
  useEffect(() => {
    if (loadedMore === null) return;
    const target =
      loadedMore.firstNewId === null
        ? fallback.current
        : document.getElementById(`${elementIdPrefix}${loadedMore.firstNewId}`);
    target?.focus();
  }, [loadedMore, elementIdPrefix, fallback]);
}
