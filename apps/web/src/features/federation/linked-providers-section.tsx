import type { LinkedProvider } from '@portcullis/contract/federation';
import { useEffect, useId, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError, userMessage } from '../../api/api-error';
import { stepUp } from '../../api/step-up';
import { ActionButton } from '../../components/action-button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { ErrorAlert, LoadFailed, Loading, StatusMessage } from '../../components/status-message';
import { formatDateTime } from '../../lib/format-date';
import { useResource } from '../../lib/use-resource';
import {
  linkedProvidersRequest,
  listProvidersRequest,
  providerStartUrl,
  unlinkProviderRequest,
  type ConfiguredProvider,
} from './federation-api';
import { federationErrorMessage } from './sign-in-error-message';

interface Providers {
  configured: ConfiguredProvider[];
  linked: LinkedProvider[];
}

async function loadProviders(signal?: AbortSignal): Promise<Providers> {
  const [configured, linked] = await Promise.all([
    listProvidersRequest(signal),
    linkedProvidersRequest(signal),
  ]);
  return { configured, linked };
}

/** What the provider's redirect back to `/security` said: `?linked=<id>` or `?error=<code>`. */
type Outcome = { kind: 'linked'; providerId: string } | { kind: 'error'; code: string } | null;

function outcomeFrom(params: URLSearchParams): Outcome {
  const linked = params.get('linked');
  if (linked !== null) return { kind: 'linked', providerId: linked };
  const error = params.get('error');
  return error === null ? null : { kind: 'error', code: error };
}

/** 409 last_way_in says why (the only way in left); here it can also say what to do instead. */
function unlinkFailureMessage(error: unknown): string {
  const message = userMessage(error);
  return error instanceof ApiError && error.code === 'last_way_in'
    ? `${message} A passkey (under Two-factor authentication) or another provider will do.`
    : message;
}

function LinkedItem({ link, onUnlink }: { link: LinkedProvider; onUnlink: () => void }) {
  const titleId = useId();
  return (
    <li className="session" aria-labelledby={titleId}>
      <div className="session-head">
        <h3 id={titleId} className="session-device">
          {link.name}
        </h3>
      </div>
      <dl className="meta-list">
        <div>
          <dt>Email</dt>
          <dd>{link.email ?? 'Not shared by the provider'}</dd>
        </div>
        <div>
          <dt>Linked</dt>
          <dd>
            <time dateTime={link.linkedAt}>{formatDateTime(link.linkedAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Last used</dt>
          <dd>
            {link.lastUsedAt === null ? (
              'Never'
            ) : (
              <time dateTime={link.lastUsedAt}>{formatDateTime(link.lastUsedAt)}</time>
            )}
          </dd>
        </div>
      </dl>
      <button
        type="button"
        className="button button--danger-outline button--small"
        onClick={onUnlink}
      >
        Unlink<span className="visually-hidden"> {link.name}</span>
      </button>
    </li>
  );
}

/**
 * Security page: the provider accounts that can sign in to this account (ADR 016). Linking is a
 * round trip to the provider that starts here and comes back with `?linked=` or `?error=`;
 * nothing links by matching email addresses, so this is the only way to add one.
 */
export function LinkedProvidersSection() {
  const headingId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [searchParams, setSearchParams] = useSearchParams();
  // Read once: the query is removed below, so a reload does not announce the result again.
  const [outcome, setOutcome] = useState<Outcome>(() => outcomeFrom(searchParams));
  const { resource: list, reload, retry } = useResource(loadProviders);
  const [status, setStatus] = useState('');
  const [unlinking, setUnlinking] = useState<LinkedProvider | undefined>();
  const [busy, setBusy] = useState(false);
  const [unlinkError, setUnlinkError] = useState<string | undefined>();
  const [confirmed, setConfirmed] = useState(false);

  useEffect(() => {
    if (!searchParams.has('linked') && !searchParams.has('error')) return;
    setSearchParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        next.delete('linked');
        next.delete('error');
        return next;
      },
      { replace: true },
    );
  }, [searchParams, setSearchParams]);

  // Back from the provider, the result is the point of the visit: it is far down the page, so
  // the section takes focus (and scrolls into view) once, when it first shows its content.
  const announced = useRef(outcome === null);
  useEffect(() => {
    if (list.status === 'loading' || announced.current) return;
    announced.current = true;
    headingRef.current?.focus();
  }, [list.status]);

  const unlink = async (link: LinkedProvider) => {
    setBusy(true);
    setUnlinkError(undefined);
    try {
      // A stale sign-in is answered 403 reauthentication_required; the API client then asks the
      // user to confirm it is them (step-up) and sends the request again.
      await unlinkProviderRequest(link.id);
    } catch (error) {
      setUnlinkError(unlinkFailureMessage(error));
      setBusy(false);
      return;
    }
    setBusy(false);
    setUnlinking(undefined);
    setOutcome(null);
    setStatus(`${link.name} unlinked. It can no longer sign you in.`);
    await reload();
    // The item that had focus is gone with its link.
    headingRef.current?.focus();
  };

  if (list.status === 'loading') {
    return (
      <section className="panel" aria-labelledby={headingId}>
        <h2 id={headingId}>Sign-in providers</h2>
        <Loading />
      </section>
    );
  }
  if (
    list.status === 'ready' &&
    list.data.configured.length === 0 &&
    list.data.linked.length === 0
  ) {
    // The operator configured none: nothing to link, nothing to say.
    return null;
  }

  const nameOf = (providerId: string) =>
    list.status === 'ready'
      ? (list.data.configured.find((provider) => provider.id === providerId)?.name ?? providerId)
      : providerId;
  // One link per provider is what nearly everyone wants; "Link" again would only confuse.
  const unlinked =
    list.status === 'ready'
      ? list.data.configured.filter(
          (provider) => !list.data.linked.some((link) => link.provider === provider.id),
        )
      : [];
  const errorMessage = outcome?.kind === 'error' ? federationErrorMessage(outcome.code) : undefined;

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId} ref={headingRef} tabIndex={-1}>
        Sign-in providers
      </h2>
      <p>
        Sign in with an account you have elsewhere. A provider only signs you in here after you link
        it from this page, even when it knows the same email address.
      </p>
      {outcome?.kind === 'linked' && (
        <p role="status" className="notice">
          {nameOf(outcome.providerId)} is linked: you can now sign in with it.
        </p>
      )}
      {errorMessage !== undefined && (
        <ErrorAlert message={errorMessage}>
          {outcome?.kind === 'error' && outcome.code === 'reauthentication_required' && (
            // Linking needs a sign-in from the last 10 minutes; the round trip cannot ask for one
            // itself, so the page does, then the user links again.
            <ActionButton
              className="button button--small"
              unavailable={confirmed}
              onClick={() => {
                void stepUp().then((ok) => {
                  if (!ok) return;
                  setConfirmed(true);
                  setOutcome(null);
                });
              }}
            >
              Confirm it is you
            </ActionButton>
          )}
        </ErrorAlert>
      )}
      {confirmed && (
        <p role="status" className="notice">
          Thank you. Choose the provider to link again.
        </p>
      )}
      {list.status === 'error' ? (
        <LoadFailed error={list.error} onRetry={retry} />
      ) : (
        <>
          {list.data.linked.length === 0 ? (
            <p className="empty">No provider is linked to your account.</p>
          ) : (
            <ul className="session-list">
              {list.data.linked.map((link) => (
                <LinkedItem
                  key={link.id}
                  link={link}
                  onUnlink={() => {
                    setUnlinkError(undefined);
                    setUnlinking(link);
                  }}
                />
              ))}
            </ul>
          )}
          {unlinked.length > 0 && (
            <ul className="provider-list">
              {unlinked.map((provider) => (
                <li key={provider.id}>
                  {/* A top-level navigation to the provider, which comes back to this page. */}
                  <a
                    className="button button--secondary"
                    href={providerStartUrl(provider.id, 'link')}
                  >
                    Link {provider.name}
                  </a>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <StatusMessage message={status} />
      <ConfirmDialog
        open={unlinking !== undefined}
        title={`Unlink ${unlinking?.name ?? 'this provider'}?`}
        confirmLabel="Unlink"
        busyLabel="Unlinking…"
        busy={busy}
        error={unlinkError}
        onConfirm={() => {
          if (unlinking !== undefined && !busy) void unlink(unlinking);
        }}
        onCancel={() => {
          setUnlinking(undefined);
        }}
      >
        <p>
          You will no longer be able to sign in with this {unlinking?.name} account
          {typeof unlinking?.email === 'string' ? ` (${unlinking.email})` : ''}. You can link it
          again later.
        </p>
      </ConfirmDialog>
    </section>
  );
}
