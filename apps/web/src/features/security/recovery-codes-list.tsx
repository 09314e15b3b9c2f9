import { useEffect, useRef, useState } from 'react';
import { saveFile } from '../../lib/save-file';

interface RecoveryCodesListProps {
  codes: readonly string[];
  onDone: () => void;
}

/**
 * New recovery codes, shown this once: the server keeps only their hashes. They are offered as a
 * text file built in the page (a Blob, never markup), and stay until the user says they are saved.
 */
export function RecoveryCodesList({ codes, onDone }: RecoveryCodesListProps) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    // Announced and reached at once: nothing else on the page matters until they are kept.
    headingRef.current?.focus();
  }, []);

  const download = () => {
    const text = [
      'Portcullis recovery codes',
      '',
      'Each code signs you in once when you cannot use your authenticator app or passkey.',
      'Keep them somewhere safe, apart from your devices.',
      '',
      ...codes,
      '',
    ].join('\n');
    saveFile({
      blob: new Blob([text], { type: 'text/plain;charset=utf-8' }),
      filename: 'portcullis-recovery-codes.txt',
    });
    setSaved(true);
  };

  return (
    <div className="recovery-codes" role="region" aria-labelledby="recovery-codes-heading">
      <h3 id="recovery-codes-heading" ref={headingRef} tabIndex={-1} className="subsection-title">
        Save your recovery codes
      </h3>
      <p>
        If you lose your authenticator app or passkeys, each of these codes signs you in once. This
        is the only time they are shown: download them or write them down, and keep them safe.
      </p>
      <ol className="recovery-code-list" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code} className="mono">
            {code}
          </li>
        ))}
      </ol>
      <div className="button-row">
        <button type="button" className="button button--secondary" onClick={download}>
          Download as text
        </button>
        <button type="button" className="button" onClick={onDone}>
          I have saved them
        </button>
      </div>
      {saved && (
        <p role="status" className="status-message">
          Saved as portcullis-recovery-codes.txt.
        </p>
      )}
    </div>
  );
}
