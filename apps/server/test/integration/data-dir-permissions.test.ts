import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ensureDevCertificate } from '../../src/lib/dev-certificate.js';
import { baseTestEnv, createUser, startTestApp } from '../support/test-app.js';

/**
 * Every file the server writes under its data directory is owner-only (0600), whatever the umask
 * and even when the operator created the directory beforehand (where no mkdir mode applies).
 */
const roots: string[] = [];

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function modeOf(file: string): string {
  return (statSync(file).mode & 0o777).toString(8);
}

describe.skipIf(process.platform === 'win32')('data directory file modes', () => {
  it('the SQLite file, its -wal and -shm, the secrets and the certificate are 0600 under umask 022', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-modes-'));
    roots.push(dataDir);
    const previous = process.umask(0o022);
    try {
      const config = loadConfig({ ...baseTestEnv, DATA_DIR: dataDir });
      const app = await buildApp(config);
      await app.listen({ port: 0, host: '127.0.0.1' });
      await ensureDevCertificate(
        path.join(dataDir, 'tls', 'cert.pem'),
        path.join(dataDir, 'tls', 'key.pem'),
      );
      // A write makes sure the WAL and shared-memory files exist.
      await app.inject({ method: 'GET', url: '/readyz' });
      await app.close();
    } finally {
      process.umask(previous);
    }
    const files = readdirSync(dataDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.join(entry.parentPath, entry.name));
    expect(files.map((f) => path.basename(f))).toEqual(
      expect.arrayContaining(['portcullis.sqlite', 'cert.pem', 'key.pem']),
    );
    for (const file of files)
      expect(`${path.relative(dataDir, file)} ${modeOf(file)}`).toBe(
        `${path.relative(dataDir, file)} 600`,
      );
  });

  it('files left 0644 by an earlier run are narrowed to 0600 at start', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-modes-'));
    roots.push(dataDir);
    mkdirSync(dataDir, { recursive: true });
    const database = path.join(dataDir, 'portcullis.sqlite');
    for (const file of [`${database}-wal`, `${database}-shm`]) {
      writeFileSync(file, '', { mode: 0o644 });
    }
    const testApp = await startTestApp({ DATA_DIR: dataDir, DATABASE_URL: database });
    await createUser(testApp);
    for (const file of [database, `${database}-wal`, `${database}-shm`]) {
      expect(`${path.basename(file)} ${modeOf(file)}`).toBe(`${path.basename(file)} 600`);
    }
    await testApp.close();
  });
});
