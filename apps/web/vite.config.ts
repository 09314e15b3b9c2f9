import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig, type ProxyOptions } from 'vite';
import { subresourceIntegrity } from './subresource-integrity';

const root = import.meta.dirname;

const API_ORIGIN = 'https://localhost:8443';
const DEV_PORT = 5173;
const devOrigins = new Set([`http://localhost:${DEV_PORT}`, `http://127.0.0.1:${DEV_PORT}`]);

// The API's development certificate is self-signed; the proxy runs on this machine only, so not
// verifying it there is fine, and it makes the dev app same-origin like production.
const apiProxy: ProxyOptions = {
  target: API_ORIGIN,
  secure: false,
  configure(proxy) {
    proxy.on('proxyReq', (proxyRequest, request) => {
      // The API accepts unsafe requests from its own origin only (CSRF origin check). This dev
      // server stands in for that origin, so only its own pages are vouched for; any other Origin
      // reaches the API unchanged and is refused as usual.
      const origin = request.headers.origin;
      if (origin !== undefined && devOrigins.has(origin))
        proxyRequest.setHeader('origin', API_ORIGIN);
    });
  },
};

export default defineConfig({
  root,
  plugins: [react(), subresourceIntegrity()],
  resolve: {
    // The contract's `source` export points at its .ts files, so the browser bundle is built from
    // the same schemas the server runs, with no separate build step to forget.
    conditions: ['source', ...defaultClientConditions],
    // `zod` (exactly; its subpaths are untouched) is zod configured for the CSP: see the module.
    alias: [{ find: /^zod$/, replacement: path.join(root, 'src/lib/zod-config.ts') }],
  },
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    // Every browser we support has native modulepreload; the polyfill would only add code, and
    // nothing may ever be inlined into index.html under `script-src 'self'`.
    modulePreload: { polyfill: false },
    // The zxcvbn dictionaries (1.7 MB, fetched only once someone types a new password) are the
    // one chunk expected above the default 500 kB; the initial bundle is guarded by its own budget
    // (scripts/bundle-budget.mjs).
    chunkSizeWarningLimit: 2000,
  },
  server: {
    port: DEV_PORT,
    strictPort: true,
    proxy: { '/api': apiProxy, '/healthz': apiProxy },
  },
  preview: {
    port: DEV_PORT,
    strictPort: true,
    proxy: { '/api': apiProxy, '/healthz': apiProxy },
  },
});
