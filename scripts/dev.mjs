// Hot reload for both ends: the API restarts on change (node --watch over tsc --watch output) and
// Vite serves the SPA with HMR, proxying /api to the API so the app stays same-origin.
import { spawn } from 'node:child_process';

const children = [
  spawn('npx', ['tsc', '-b', 'apps/server', '--watch', '--preserveWatchOutput'], {
    stdio: 'inherit',
  }),
  spawn('node', ['--watch', 'apps/server/dist/server.js'], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'development', HTTP_PORT: process.env.HTTP_PORT ?? '0' },
  }),
  spawn('npm', ['run', 'dev', '-w', '@portcullis/web'], { stdio: 'inherit' }),
];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
