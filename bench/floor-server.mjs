// The floor: what this machine and Node can do with no application at all. It answers every
// request with the same JSON the app's GET /api/profile returns (201 for POST, after reading the
// body), so the app's figures can be read as a share of it.
//   --kind=http     bare node:http
//   --kind=https    bare node:https with the given certificate (the server's own self-signed one)
//   --kind=fastify  bare Fastify 5 (no plugins, no hooks, no logger): the framework's own cost
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, ...value] = arg.replace(/^--/, '').split('=');
    return [key, value.join('=')];
  }),
);
const body = args.body ?? '{}';
const headers = {
  'content-type': 'application/json; charset=utf-8',
  'content-length': String(Buffer.byteLength(body)),
};

function handle(request, response) {
  request.resume();
  request.on('end', () => {
    response.writeHead(request.method === 'POST' ? 201 : 200, headers);
    response.end(body);
  });
}

function announce(port) {
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

if (args.kind === 'fastify') {
  // Resolved from the server workspace, so the floor uses exactly the Fastify the app uses.
  const serverPackage = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '../apps/server/package.json',
  );
  const fastify = createRequire(serverPackage)('fastify');
  const app = fastify({ logger: false });
  const reply = (request, response) => {
    response.code(request.method === 'POST' ? 201 : 200).type(headers['content-type']);
    return response.send(body);
  };
  app.all('/*', reply);
  app.all('/', reply);
  await app.listen({ port: 0, host: '127.0.0.1' });
  announce(app.server.address().port);
} else {
  const server =
    args.kind === 'https'
      ? https.createServer({ cert: readFileSync(args.cert), key: readFileSync(args.key) }, handle)
      : http.createServer(handle);
  // Same keep-alive behaviour as Fastify's defaults, so connection reuse is not what differs.
  server.keepAliveTimeout = 72_000;
  server.listen(0, '127.0.0.1', () => announce(server.address().port));
}

process.on('SIGTERM', () => process.exit(0));
