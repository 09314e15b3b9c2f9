import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { noteSchema } from '@portcullis/contract/notes';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { responseSerializer } from '../../src/plugins/validation.js';
import { baseTestEnv, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The API described by the routes themselves (OpenAPI 3.1 at /api/openapi.json), and responses
 * written from the contract: a field the contract does not name never leaves the server.
 */

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
  components: { securitySchemes: Record<string, { type: string; in: string; name: string }> };
}

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp.close();
});

/** Fastify's `/:id` is OpenAPI's `/{id}`. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document naming every API route, with its security', async () => {
    const res = await fetch(`${testApp.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const doc = (await res.json()) as OpenApiDocument;
    expect(doc.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(doc) as never);

    expect(doc.components.securitySchemes).toEqual({
      accessToken: expect.objectContaining({
        type: 'apiKey',
        in: 'cookie',
        name: '__Host-portcullis-access',
      }) as unknown,
      csrfToken: expect.objectContaining({
        type: 'apiKey',
        in: 'header',
        name: 'x-csrf-token',
      }) as unknown,
    });
    // Every API route the app serves is in the document (the 405 answers and the document's
    // own route aside).
    const missing: string[] = [];
    expect(testApp.app.apiRoutes.length).toBeGreaterThan(50);
    for (const route of testApp.app.apiRoutes) {
      const entry = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      if (entry === undefined) missing.push(`${route.method} ${route.url}`);
    }
    expect(missing).toEqual([]);
    expect(doc.paths['/api/notes']?.post?.security).toEqual([{ accessToken: [], csrfToken: [] }]);
    expect(doc.paths['/api/notes']?.get?.security).toEqual([{ accessToken: [] }]);
    expect(doc.paths['/api/login']?.post?.security).toEqual([{ csrfToken: [] }]);
    expect(doc.paths['/api/session']?.get?.security).toEqual([]);
  });
});

describe('responses are written from the contract', () => {
  it('a property the contract does not name is dropped, whatever the handler returns', () => {
    const serialize = responseSerializer(noteSchema);
    const row = {
      id: 'n1',
      title: 'T',
      body: 'B',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      owner_id: 'u1',
      password_hash: '$argon2id$v=19$secret',
    };
    expect(JSON.parse(serialize(row))).toEqual({
      id: 'n1',
      title: 'T',
      body: 'B',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('over HTTP: a route answering a row with extra columns sends only the contract’s fields', async () => {
    const app = await unstartedApp();
    try {
      app.get(
        '/api/leaky-row',
        {
          config: { access: 'public' },
          schema: { response: { 200: z.object({ user: z.object({ id: z.string() }) }) } },
        },
        () => ({
          user: { id: 'u1', password_hash: '$argon2id$secret', email_verified_at: 1 },
          internal: true,
        }),
      );
      const res = await app.inject({ method: 'GET', url: '/api/leaky-row' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('{"user":{"id":"u1"}}');
    } finally {
      await app.close();
    }
  });

  it('the server refuses to start with an API route that declares no response schema', async () => {
    const app = await unstartedApp();
    try {
      expect(() =>
        app.get('/api/undeclared', { config: { access: 'public' } }, () => ({ a: 1 })),
      ).toThrow('route GET /api/undeclared declares no response schema');
    } finally {
      await app.close();
    }
  });
});

/** The app as buildApp leaves it: routes may still be added, requests go through inject. */
async function unstartedApp() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-openapi-'));
  cleanups.push(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });
  const config = loadConfig({ ...baseTestEnv, DATA_DIR: dataDir });
  return buildApp(config, { mailNotice: () => undefined, logStream: new PassThrough() });
}

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});
