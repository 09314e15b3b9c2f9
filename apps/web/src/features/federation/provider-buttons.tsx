import type { SecondFactorMethod } from '@portcullis/contract/second-factors';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { SECOND_FACTOR_QUERY_PARAM } from '@portcullis/contract/federation';
import { ErrorAlert } from '../../components/status-message';
import { listProvidersRequest, providerStartUrl, type ConfiguredProvider } from './federation-api';
import { federationErrorMessage, secondFactorMethodsFrom } from './sign-in-error-message';

interface ProviderSignInProps {
  /** "Keep me signed in", as ticked on the page: the server keeps it with the flow. */
  remember: boolean;
  /** The provider's callback left a pending sign-in that still owes a second factor. */
  onSecondFactor: (methods: readonly SecondFactorMethod[]) => void;
}

/**
 * The sign-in page's part of ADR 016: "Continue with <provider>" links, the message for a round
 * trip that ended in `?error=`, and the hand-over to the second step after `?second-factor=`.
 */
export function ProviderSignIn({ remember, onSecondFactor }: ProviderSignInProps) {
  const [searchParams, setSearchParams] = useSearchParams();
  const [providers, setProviders] = useState<ConfiguredProvider[]>([]);
  const error = federationErrorMessage(searchParams.get('error'));
  const secondFactorParam = searchParams.get(SECOND_FACTOR_QUERY_PARAM);

  useEffect(() => {
    const secondFactor = secondFactorMethodsFrom(secondFactorParam);
    if (secondFactor === null) return;
    // Out of the URL once read: "Start again" from the second step must show the password step,
    // and a reload cannot resume a pending sign-in whose cookie the server has spent.
    setSearchParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        next.delete(SECOND_FACTOR_QUERY_PARAM);
        return next;
      },
      { replace: true },
    );
    onSecondFactor(secondFactor);
    // Once per redirect from the callback: the page's callback is a new function every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [secondFactorParam]);

  useEffect(() => {
    const controller = new AbortController();
    listProvidersRequest(controller.signal).then(setProviders, () => {
      // The links are an extra way in: when the list cannot be had, the page works without them.
      setProviders([]);
    });
    return () => {
      controller.abort();
    };
  }, []);

  return (
    <>
      {error !== undefined && <ErrorAlert message={error} />}
      {providers.length > 0 && (
        <div className="provider-sign-in" role="group" aria-label="Sign in with a provider">
          <ul className="provider-list">
            {providers.map((provider) => (
              <li key={provider.id}>
                {/* A plain link: the round trip is a top-level navigation, never a fetch. */}
                <a
                  className="button button--secondary provider-button"
                  href={providerStartUrl(provider.id, 'sign-in', remember)}
                >
                  Continue with {provider.name}
                </a>
              </li>
            ))}
          </ul>
          <p className="provider-sign-in-or">Or with your email and password:</p>
        </div>
      )}
    </>
  );
}
