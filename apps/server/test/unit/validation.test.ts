import fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ErrorBody } from '@portcullis/contract/errors';
import { registerErrorHandler } from '../../src/plugins/error-handler.js';
import { registerZodValidation } from '../../src/plugins/validation.js';

/**
 * The server validates with the contract's zod schemas (ASVS 5.1.3): what a handler receives is
 * the parsed value (trimmed, known fields only), and a refusal is 400 `validation_failed` with one
 * field error per problem, bounded so a hostile body cannot make the answer arbitrarily large.
 */

let app: FastifyInstance;

const strict = z.strictObject({
  name: z.string().trim().min(1, 'Enter a name.'),
  address: z.strictObject({ city: z.string().min(2, 'Too short.') }).optional(),
});
const wide = z.strictObject(
  Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, z.number()])),
);

// A fresh app per test: Stryker credits code run in a beforeAll to no test.
beforeEach(async () => {
  app = fastify();
  registerErrorHandler(app);
  registerZodValidation(app);
  app.post('/strict', { schema: { body: strict } }, (request) => ({ received: request.body }));
  app.post('/wide', { schema: { body: wide } }, () => ({ ok: true }));
  app.get('/typed', { schema: { querystring: z.object({ n: z.coerce.number().int() }) } }, (r) => ({
    received: r.query,
  }));
  // A response schema goes through the serializer compiler too: plain JSON of what was returned.
  app.get('/answer', { schema: { response: { 200: z.object({ answer: z.number() }) } } }, () => ({
    answer: 42,
  }));
  await app.ready();
});

afterEach(async () => {
  await app.close();
});

async function send(url: string, payload: unknown) {
  const res = await app.inject({ method: 'POST', url, payload: payload as object });
  return { status: res.statusCode, body: res.json<ErrorBody & { received?: unknown }>() };
}

describe('registerZodValidation', () => {
  it('control: a valid body reaches the handler parsed (trimmed), and the reply is plain JSON', async () => {
    const res = await send('/strict', { name: '  Ada  ', address: { city: 'Oslo' } });
    expect(res).toEqual({
      status: 200,
      body: { received: { name: 'Ada', address: { city: 'Oslo' } } },
    });
    const query = await app.inject({ method: 'GET', url: '/typed?n=42' });
    expect(query.json()).toEqual({ received: { n: 42 } });
    expect(query.headers['content-type']).toMatch(/^application\/json/);
    const answer = await app.inject({ method: 'GET', url: '/answer' });
    expect([answer.statusCode, answer.body]).toEqual([200, '{"answer":42}']);
  });

  it('a wrong field → 400 validation_failed naming the field and the schema’s message', async () => {
    const res = await send('/strict', { name: '   ' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.fields).toEqual([{ path: 'name', message: 'Enter a name.' }]);
  });

  it('a nested field is named by its dotted path', async () => {
    const res = await send('/strict', { name: 'Ada', address: { city: 'X' } });
    expect(res.body.error.fields).toEqual([{ path: 'address.city', message: 'Too short.' }]);
  });

  it('unknown fields are refused by name (mass assignment), not silently dropped', async () => {
    const res = await send('/strict', { name: 'Ada', role: 'admin', isAdmin: true });
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual([{ path: '', message: 'Unknown field: role, isAdmin' }]);
  });

  it('at most 20 field errors are returned, however many there are', async () => {
    const payload = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, 'x']));
    const res = await send('/wide', payload);
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toHaveLength(20);
    expect(res.body.error.fields?.map((f) => f.path)).toEqual(
      Array.from({ length: 20 }, (_, i) => `f${i}`),
    );
  });

  it('a query string that does not parse → 400, the handler never runs', async () => {
    const res = await app.inject({ method: 'GET', url: '/typed?n=4.5' });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().error.fields?.[0]?.path).toBe('n');
  });
});
