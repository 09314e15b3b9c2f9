// Bundles the compiled server (apps/server/dist) into one module for production start-up: Node 20
// spends most of a start resolving and compiling the hundreds of files of the server's dependency
// graph, and one file halves that (docs/decisions/008-bundled-server-entry.md).
import { rmSync } from 'node:fs';
import { build } from 'rolldown';

const outDir = 'apps/server/bundle';
rmSync(outDir, { recursive: true, force: true });
await build({
  input: 'apps/server/dist/server.js',
  platform: 'node',
  // Native addons and the password list (a data file read at run time) stay as packages.
  external: [
    'better-sqlite3',
    '@node-rs/argon2',
    '@node-rs/bcrypt',
    'fxa-common-password-list',
    'pg',
  ],
  logLevel: 'warn',
  output: { dir: outDir, format: 'esm', sourcemap: true },
});
