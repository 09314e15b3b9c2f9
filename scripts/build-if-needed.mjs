// `npm start` builds what is not built yet, so a fresh clone needs only `npm ci && npm start`.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const serverOnly = process.argv.includes('--server-only');
const run = (command) => execSync(command, { stdio: ['ignore', 'inherit', 'inherit'] });

/** Newest modification time of any file under `dir`, or 0 if there is none. */
function newestMtime(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

// tsc -b is incremental: it only rebuilds when sources changed.
if (!existsSync('apps/server/dist/server.js') || !serverOnly) run('npx tsc -b apps/server');
if (!serverOnly) {
  const bundle = 'apps/server/bundle/server.js';
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < newestMtime('apps/server/dist')) {
    run('node scripts/bundle-server.mjs');
  }
  if (!existsSync('apps/web/dist/index.html')) run('npm run build -w @portcullis/web');
}
