import { readFile } from 'node:fs/promises';
import { formatReport, runSelftest } from './run-selftest.js';
import type { SelftestOptions } from './selftest-types.js';

export class SelftestUsageError extends Error {}

function parsePort(raw: string, option: string): number {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65_535) {
    throw new SelftestUsageError(`--${option} must be a port number`);
  }
  return Number(raw);
}

/** The command line's values (every option a string, flags "true") as options. */
export async function selftestOptions(
  values: Record<string, string | undefined>,
): Promise<SelftestOptions> {
  const raw = values.url;
  if (raw === undefined || raw === '') throw new SelftestUsageError('URL is required');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SelftestUsageError(`"${raw}" is not a URL`);
  }
  if (url.protocol !== 'https:') {
    throw new SelftestUsageError('the URL must be https:// (the plain-HTTP side is --http-port)');
  }
  let httpPort: number | undefined = url.port === '' ? 80 : undefined;
  if (values['http-port'] !== undefined) {
    const port = parsePort(values['http-port'], 'http-port');
    httpPort = port === 0 ? undefined : port;
  }
  let account: SelftestOptions['account'];
  if (values.account !== undefined) {
    const separator = values.account.indexOf(':');
    if (separator <= 0) throw new SelftestUsageError('--account must be EMAIL:PASSWORD');
    account = {
      email: values.account.slice(0, separator),
      password: values.account.slice(separator + 1),
    };
  }
  const allowLockout = values['allow-lockout'] === 'true';
  if (allowLockout && account === undefined) {
    throw new SelftestUsageError('--allow-lockout needs --account');
  }
  const timeoutMs = values['timeout-ms'] === undefined ? 10_000 : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000) {
    throw new SelftestUsageError('--timeout-ms must be 100 to 120000');
  }
  return {
    url: new URL(url.origin),
    httpPort,
    ca: values.ca === undefined ? undefined : await readFile(values.ca, 'utf8'),
    insecure: values.insecure === 'true',
    account,
    allowLockout,
    timeoutMs,
  };
}

/** Runs the self-test and writes the report; resolves with the number of failed checks. */
export async function runSelftestCommand(
  values: Record<string, string | undefined>,
  output: { write: (text: string) => void; escape: (text: string) => string },
): Promise<number> {
  const options = await selftestOptions(values);
  const report = await runSelftest(options);
  output.write(
    values.json === 'true'
      ? `${JSON.stringify(report, null, 2)}\n`
      : formatReport(report, output.escape),
  );
  return report.summary.fail;
}
