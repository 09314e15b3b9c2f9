// `npm start` builds what is not built yet, so a fresh clone needs only `npm ci && npm start`.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const serverOnly = process.argv.includes('--server-only');
const run = (command) => execSync(command, { stdio: ['ignore', 'inherit', 'inherit'] });

// tsc -b is incremental: it only rebuilds when sources changed.
if (!existsSync('apps/server/dist/server.js') || !serverOnly) run('npx tsc -b apps/server');
if (!serverOnly && !existsSync('apps/web/dist/index.html')) run('npm run build -w @portcullis/web');
