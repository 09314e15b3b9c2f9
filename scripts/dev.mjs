// Hot reload for both ends: the API restarts on change (node --watch over tsc --watch output) and
// Vite serves the SPA with HMR, proxying /api to the API so the app stays same-origin.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const children = [
  spawn('npx', ['tsc', '-b', 'apps/server', '--watch', '--preserveWatchOutput'], {
    stdio: 'inherit',
  }),
  spawn('node', ['--watch', 'apps/server/dist/server.js'], {
    stdio: 'inherit',
    // libuv sizes its thread pool before the server's code runs: only the environment can set it
    // (at least HASH_CONCURRENCY + 2, docs/decisions/004).
    env: {
      ...process.env,
      NODE_ENV: 'development',
      HTTP_PORT: process.env.HTTP_PORT ?? '0',
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(availableParallelism() + 1),
    },
  }),
  spawn('npm', ['run', 'dev', '-w', '@portcullis/web'], { stdio: 'inherit' }),
];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
