import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { findExecutable, repoRoot } from '../support/live-processes.js';

/**
 * deploy/portcullis.service: the hardening the README promises is there, systemd waits longer
 * for a graceful stop than the app's own shutdown deadline, and the unit parses cleanly.
 */

const unitFile = path.join(repoRoot, 'deploy/portcullis.service');
const unit = readFileSync(unitFile, 'utf8');
const systemdAnalyze = findExecutable('systemd-analyze');
if (systemdAnalyze === undefined) {
  console.warn('multi-instance (systemd unit): verify skipped, systemd-analyze is not installed');
}

/** Every `Key=value` of the unit, in order (a key may repeat). */
function directives(text: string): [string, string][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('['))
    .map((line) => {
      const separator = line.indexOf('=');
      return [line.slice(0, separator), line.slice(separator + 1)];
    });
}

const values = (key: string) =>
  directives(unit)
    .filter(([name]) => name === key)
    .map(([, value]) => value);

function seconds(value: string | undefined): number {
  const match = /^(\d+)(s|min)?$/.exec(value ?? '');
  if (match === null) throw new Error(`not a time span: ${String(value)}`);
  return Number(match[1]) * (match[2] === 'min' ? 60 : 1);
}

describe('deploy/portcullis.service', () => {
  it.each([
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['PrivateTmp', 'yes'],
    ['ProtectHome', 'yes'],
    ['PrivateDevices', 'yes'],
    ['RestrictSUIDSGID', 'yes'],
    ['CapabilityBoundingSet', ''],
    ['ReadWritePaths', '/var/lib/portcullis'],
    ['Restart', 'on-failure'],
    ['KillSignal', 'SIGTERM'],
  ])('sets %s=%s', (key, value) => {
    expect(values(key)).toContain(value);
  });

  it('reads its settings and secrets from an EnvironmentFile; Environment= sets only the thread pool', () => {
    expect(values('EnvironmentFile')).toContain('/etc/portcullis/portcullis.env');
    expect(values('Environment')).toEqual(['UV_THREADPOOL_SIZE=16']);
    expect(values('User')).toEqual(['portcullis']);
  });

  it('sizes the libuv thread pool for the default hash concurrency plus two spare threads', () => {
    const poolSize = Number(/^UV_THREADPOOL_SIZE=(\d+)$/.exec(values('Environment')[0] ?? '')?.[1]);
    // The app's default HASH_CONCURRENCY is cores - 1; on this machine, and on up to 15 cores:
    expect(poolSize).toBeGreaterThanOrEqual(loadConfig({}).hashing.concurrency + 2);
    expect(poolSize).toBeGreaterThanOrEqual(14 + 2);
  });

  it('waits longer for a graceful stop than the app waits for in-flight requests', () => {
    const appDeadline = loadConfig({}).shutdownTimeoutSeconds;
    expect(seconds(values('TimeoutStopSec')[0])).toBeGreaterThan(appDeadline);
  });

  it.skipIf(systemdAnalyze === undefined)(
    'passes systemd-analyze verify without a warning',
    () => {
      // The only change: ExecStart's node is this machine's, which verify requires to exist.
      const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-unit-'));
      const copy = path.join(dir, 'portcullis.service');
      writeFileSync(
        copy,
        unit.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `),
      );
      const result = spawnSync(systemdAnalyze ?? 'systemd-analyze', ['verify', '--man=no', copy], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      rmSync(dir, { recursive: true, force: true });
      expect(result.stderr.trim()).toBe('');
      expect(result.status).toBe(0);
    },
    30_000,
  );
});
