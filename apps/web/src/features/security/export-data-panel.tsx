import { useState } from 'react';
import { userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ErrorAlert, StatusMessage } from '../../components/status-message';
import { saveFile } from '../../lib/save-file';
import { exportAccountRequest } from './security-api';

/** A copy of everything held about the account, as the GDPR's right of access (Art. 15, 20) asks. */
export function ExportDataPanel() {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | undefined>();

  const download = async () => {
    setBusy(true);
    setStatus('');
    setError(undefined);
    try {
      const file = await exportAccountRequest();
      saveFile(file);
      setStatus(`Your data was saved as ${file.filename}.`);
    } catch (caught) {
      setError(userMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="export-heading">
      <h2 id="export-heading">Your data</h2>
      <p>
        Download your profile, notes, sessions and activity as one JSON file, to keep or to take
        elsewhere.
      </p>
      <div className="button-row">
        <ActionButton
          className="button button--secondary"
          unavailable={busy}
          onClick={() => {
            void download();
          }}
        >
          {busy ? 'Preparing your data…' : 'Download my data'}
        </ActionButton>
      </div>
      <StatusMessage message={status} />
      {error !== undefined && <ErrorAlert message={error} />}
    </section>
  );
}
