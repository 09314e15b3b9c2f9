// Fails the test command when the web app's initial JavaScript grows past its budget.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 120 * 1024;
const dist = 'apps/web/dist';
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const scripts = [
  ...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g),
].map((match) => match[1]);
if (scripts.length === 0) {
  console.error('bundle budget: no script found in index.html');
  process.exit(1);
}
let total = 0;
for (const src of new Set(scripts)) {
  const size = gzipSync(readFileSync(path.join(dist, src))).length;
  total += size;
  console.log(`bundle budget: ${src} ${(size / 1024).toFixed(1)} KiB gzipped`);
}
const verdict = total <= BUDGET_BYTES ? 'ok' : 'OVER BUDGET';
console.log(
  `bundle budget: initial JavaScript ${(total / 1024).toFixed(1)} KiB of ${BUDGET_BYTES / 1024} KiB gzipped: ${verdict}`,
);
if (total > BUDGET_BYTES) process.exit(1);
