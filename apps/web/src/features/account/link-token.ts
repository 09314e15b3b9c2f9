import { oneTimeTokenSchema } from '@portcullis/contract/account';
import { useEffect, useLayoutEffect, useState } from 'react';

/** The token a mailed link carried, or why the page cannot use one. */
export type LinkToken = { ok: true; token: string } | { ok: false; problem: string };

export const missingTokenMessage =
  'This page needs the code from the link in your email, and this address has none. Open the link from the message again.';

/**
 * Reads `#token=…` from a link's fragment. The fragment is parsed as URLSearchParams; a token is
 * checked against the contract's shape before anything is sent, so a mangled link is explained
 * here rather than refused by the server.
 */
export function readLinkToken(hash: string): LinkToken {
  const raw = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash).get('token');
  if (raw === null) return { ok: false, problem: missingTokenMessage };
  const parsed = oneTimeTokenSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, problem: parsed.error.issues[0]?.message ?? missingTokenMessage };
  }
  return { ok: true, token: parsed.data };
}

/**
 * The one-time token of the link this page was opened from. Links carry it in the fragment, which
 * browsers never send to a server (so it stays out of access logs and the Referer header). It is
 * read once, at the first render, and dropped from the address bar and from this history entry
 * before the browser paints: Back, a shared screen or a synced history never shows it.
 */
export function useLinkToken(): LinkToken {
  const [linkToken] = useState(() => readLinkToken(window.location.hash));
  useLayoutEffect(() => {
    if (window.location.hash === '') return;
    // The router's own entry state is kept (it holds no token, only its key and index), so Back
    // and Forward still line up with the router's idea of the history.
    window.history.replaceState(
      window.history.state,
      '',
      `${window.location.pathname}${window.location.search}`,
    );
  }, []);
  useEffect(() => {
    // Another link opened in this same tab while it shows this page differs only in the fragment,
    // which loads nothing: the page loads again, to start from that link.
    const onHashChange = () => {
      if (new URLSearchParams(window.location.hash.slice(1)).has('token')) {
        window.location.reload();
      }
    };
    window.addEventListener('hashchange', onHashChange);
    return () => {
      window.removeEventListener('hashchange', onHashChange);
    };
  }, []);
  return linkToken;
}
