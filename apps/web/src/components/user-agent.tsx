import { describeUserAgent } from '@portcullis/contract/user-agent';

const dash = '—';

interface UserAgentProps {
  value: string | null;
  /** The server's own summary ("Firefox on macOS"), when it sent one; parsed here otherwise. */
  summary?: string | null;
}

/**
 * "Chrome on Linux", with the full header one activation away: the raw string wraps to five
 * lines in a table cell, and is still what an investigation needs. Rendered as text only.
 */
export function UserAgent({ value, summary }: UserAgentProps) {
  if (value === null || value.trim() === '') return summary ?? dash;
  const short = summary ?? describeUserAgent(value);
  if (short === undefined) return <span className="user-agent-raw">{value}</span>;
  return (
    <details className="user-agent">
      <summary>
        {short}
        <span className="visually-hidden"> (show the full user agent)</span>
      </summary>
      <span className="user-agent-raw">{value}</span>
    </details>
  );
}
