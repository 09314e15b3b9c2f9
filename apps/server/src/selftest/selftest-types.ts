import type { ProbeClient } from './probe-client.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

/** One line of the report: what was checked, the ASVS 5.0 requirement it proves, the verdict. */
export interface CheckResult {
  /** Stable, kebab-case: tests and scripts key on it, never on the wording. */
  id: string;
  title: string;
  /** ASVS 5.0 requirement ids (`3.4.1`), or a section (`V3.4`) where no single one applies. */
  asvs: readonly string[];
  status: CheckStatus;
  /** For a failure, what to fix, in words; for a skip, why; for a pass, what was seen. */
  detail: string;
}

export interface SelftestOptions {
  /** The deployment's public origin, e.g. https://portcullis.example.com */
  url: URL;
  /** Plain-HTTP port whose redirect is checked; undefined skips those checks. */
  httpPort: number | undefined;
  /** Extra trust anchor (a private CA or the development certificate), PEM. */
  ca: string | undefined;
  /** Do not verify the certificate (the development self-signed one); the certificate check skips. */
  insecure: boolean;
  /** A throwaway account for the checks that need a session. */
  account: { email: string; password: string } | undefined;
  /** The account may be locked by repeated wrong passwords (it stays locked for a while). */
  allowLockout: boolean;
  /** Per request. */
  timeoutMs: number;
}

export interface CheckContext {
  options: SelftestOptions;
  client: ProbeClient;
}

/** A group of checks; each returns its results, and never throws for a deployment's answer. */
export type CheckGroup = (context: CheckContext) => Promise<CheckResult[]>;

export const pass = (
  id: string,
  title: string,
  asvs: readonly string[],
  detail = '',
): CheckResult => ({ id, title, asvs, status: 'pass', detail });

export const fail = (
  id: string,
  title: string,
  asvs: readonly string[],
  detail: string,
): CheckResult => ({ id, title, asvs, status: 'fail', detail });

export const skip = (
  id: string,
  title: string,
  asvs: readonly string[],
  detail: string,
): CheckResult => ({ id, title, asvs, status: 'skip', detail });

/** pass when `problems` is empty, otherwise fail naming every problem. */
export function verdict(
  id: string,
  title: string,
  asvs: readonly string[],
  problems: readonly string[],
  passDetail = '',
): CheckResult {
  return problems.length === 0
    ? pass(id, title, asvs, passDetail)
    : fail(id, title, asvs, problems.join('; '));
}
