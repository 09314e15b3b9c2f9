import type { SecureDataResponse } from '@portcullis/contract/profile';
import { useCallback, useEffect, useState } from 'react';
import { isAbortError, userMessage } from '../../api/api-error';
import { Page } from '../../components/page';
import { ErrorAlert, Loading } from '../../components/status-message';
import { formatDateTime } from '../../lib/format-date';
import { fetchSecureData } from './secure-data-api';

type SecureDataState =
  | { status: 'loading' }
  | { status: 'ready'; data: SecureDataResponse }
  | { status: 'error'; error: unknown };

export function SecureDataPage() {
  const [state, setState] = useState<SecureDataState>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    fetchSecureData(controller.signal).then(
      (data) => {
        setState({ status: 'ready', data });
      },
      (error: unknown) => {
        if (!isAbortError(error)) setState({ status: 'error', error });
      },
    );
    return () => {
      controller.abort();
    };
  }, [generation]);

  const reload = useCallback(() => {
    setState({ status: 'loading' });
    setGeneration((value) => value + 1);
  }, []);

  return (
    <Page title="Secure data">
      <p className="lead">
        Only a signed-in session can read this; the server checks on every request.
      </p>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorAlert message={userMessage(state.error)} />}
      {state.status === 'ready' && (
        <section className="panel" aria-labelledby="secure-data-heading">
          <h2 id="secure-data-heading">From the server</h2>
          <dl className="details">
            <div>
              <dt>Message</dt>
              <dd>{state.data.message}</dd>
            </div>
            <div>
              <dt>User id</dt>
              <dd>
                <code>{state.data.userId}</code>
              </dd>
            </div>
            <div>
              <dt>Role</dt>
              <dd>{state.data.role}</dd>
            </div>
            <div>
              <dt>Server time</dt>
              <dd>
                <time dateTime={state.data.serverTime}>
                  {formatDateTime(state.data.serverTime)}
                </time>
              </dd>
            </div>
          </dl>
        </section>
      )}
      <div className="button-row">
        <button
          type="button"
          className="button button--secondary"
          onClick={reload}
          disabled={state.status === 'loading'}
        >
          Reload
        </button>
      </div>
    </Page>
  );
}
