import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  expectErrorEnvelope,
  findLeaks,
  rawRequest,
  startTestApp,
  strongPassword,
  TestClient,
  uniqueEmail,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * ASVS 7.4.1 / OWASP Error Handling: whatever a client sends, the answer is the catalogue's
 * envelope `{error: {code, message, requestId}}` and never a stack trace, SQL, a file path or the
 * framework's own error page.
 */

let testApp: TestApp;
let member: TestUser;

beforeAll(async () => {
  testApp = await startTestApp();
  member = await createUser(testApp);
});

afterAll(async () => {
  await testApp.close();
});

const json = { 'content-type': 'application/json' };

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

function nestedObject(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

describe('malformed and hostile bodies answer 400 validation_failed in the error envelope', () => {
  const cases: { name: string; rawBody: string | Uint8Array }[] = [
    { name: 'truncated JSON', rawBody: '{"email": "a@example.test", "password": ' },
    { name: 'not JSON at all', rawBody: 'email=a@example.test&password=x' },
    { name: 'trailing garbage', rawBody: '{"email":"a@example.test"} trailing' },
    { name: 'single quotes', rawBody: "{'email': 'a@example.test'}" },
    { name: 'JSON null', rawBody: 'null' },
    { name: 'JSON string', rawBody: '"hello"' },
    { name: 'JSON number', rawBody: '12345' },
    { name: 'JSON array', rawBody: '[1,2,3]' },
    {
      name: 'huge numbers in every field',
      rawBody: '{"email": 1e999999, "password": 123456789012345678901234567890, "name": -1e308}',
    },
    {
      name: 'a number with thousands of digits',
      rawBody: `{"email": ${'9'.repeat(5000)}, "password": "x", "name": "x"}`,
    },
    { name: 'deeply nested arrays', rawBody: nested(100_000) },
    { name: 'deeply nested objects', rawBody: nestedObject(50_000) },
    {
      name: 'deep nesting inside a field',
      rawBody: `{"email": ${nested(50_000)}, "password": "x", "name": "x"}`,
    },
    {
      name: 'lone surrogates and control characters in the email',
      rawBody: '{"email": "\\ud800\\u0000\\u202e@\\udfff", "password": "x", "name": "x"}',
    },
    {
      name: 'invalid UTF-8 bytes',
      rawBody: new Uint8Array([0x7b, 0x22, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0x22, 0x7d]),
    },
    {
      name: '__proto__ pollution',
      rawBody: `{"email": "${uniqueEmail()}", "password": "${strongPassword()}", "name": "x", "__proto__": {"role": "admin"}}`,
    },
    {
      name: 'constructor.prototype pollution',
      rawBody: `{"email": "${uniqueEmail()}", "password": "${strongPassword()}", "name": "x", "constructor": {"prototype": {"role": "admin"}}}`,
    },
    { name: 'an empty body declared as JSON', rawBody: '' },
  ];

  for (const { name, rawBody } of cases) {
    it(`POST /api/register with ${name} → 400 validation_failed`, async () => {
      const client = new TestClient(testApp);
      const res = await client.request('POST', '/api/register', { rawBody, headers: json });
      expectErrorEnvelope(res, 400, 'validation_failed');
    });
  }

  it('a validation error lists the offending fields by path, and nothing else', async () => {
    const client = new TestClient(testApp);
    const res = await client.post('/api/register', { email: 'not-an-email', password: 'x' });
    expectErrorEnvelope(res, 400, 'validation_failed');
    const fields = res.body.error.fields ?? [];
    expect(fields.map((f) => f.path)).toEqual(expect.arrayContaining(['email', 'password']));
    for (const field of fields) expect(Object.keys(field).sort()).toEqual(['message', 'path']);
  });

  it('a prototype-pollution payload creates no user and grants no role', async () => {
    const email = uniqueEmail('proto');
    const password = strongPassword();
    const client = new TestClient(testApp);
    const res = await client.request('POST', '/api/register', {
      rawBody: `{"email":"${email}","password":"${password}","name":"P","__proto__":{"role":"admin"}}`,
      headers: json,
    });
    expectErrorEnvelope(res, 400, 'validation_failed');
    expect((await client.login(email, password)).status).toBe(401);
    expect(({} as Record<string, unknown>).role).toBeUndefined();
  });

  it('hostile bodies on an authenticated route are refused the same way', async () => {
    for (const rawBody of [
      '{"title":',
      nested(100_000),
      '{"title":"t","body":"b","__proto__":{}}',
    ]) {
      const res = await member.client.request('POST', '/api/notes', { rawBody, headers: json });
      expectErrorEnvelope(res, 400, 'validation_failed');
    }
  });
});

describe('hostile URLs and queries answer in the error envelope', () => {
  const cases: { name: string; path: string; status: number; code: string }[] = [
    { name: 'an unknown API path', path: '/api/does-not-exist', status: 404, code: 'not_found' },
    {
      name: 'broken percent-encoding',
      path: '/api/notes/%E0%A4%A',
      status: 404,
      code: 'not_found',
    },
    { name: 'a non-uuid note id', path: "/api/notes/1' OR '1'='1", status: 404, code: 'not_found' },
    {
      name: 'a 100-character note id',
      path: `/api/notes/${'a'.repeat(100)}`,
      status: 404,
      code: 'not_found',
    },
    {
      name: 'broken percent-encoding in an admin path',
      path: '/api/admin/users/%ZZ',
      status: 404,
      code: 'not_found',
    },
    {
      name: 'an over-long id',
      path: `/api/notes/${'a'.repeat(500)}`,
      status: 404,
      code: 'not_found',
    },
    {
      name: 'an unknown query field',
      path: '/api/notes?debug=1',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'a huge limit',
      path: '/api/notes?limit=1e400',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'a negative limit',
      path: '/api/notes?limit=-5',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'a forged cursor',
      path: `/api/notes?cursor=${Buffer.from("1:' OR 1=1 --").toString('base64url')}`,
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'unicode junk in the cursor',
      path: `/api/notes?cursor=${encodeURIComponent('\u202e\u0000💥')}`,
      status: 400,
      code: 'validation_failed',
    },
  ];

  for (const { name, path, status, code } of cases) {
    it(`GET ${name} → ${status} ${code}`, async () => {
      const res = await member.client.get(path);
      expectErrorEnvelope(res, status, code);
    });
  }

  for (const rawPath of [
    '/api/../../etc/passwd',
    '/api/notes/..%2f..%2fetc%2fpasswd',
    '/api/%2e%2e/%2e%2e/etc/passwd',
  ]) {
    it(`a path traversal attempt (${rawPath}, sent unnormalised) → 404 not_found`, async () => {
      const res = await rawRequest(testApp, 'GET', rawPath, {
        cookie: member.client.cookieHeader(),
      });
      expectErrorEnvelope(res, 404, 'not_found');
      expect(res.text).not.toContain('root:');
    });
  }

  it('an unsupported method on a known path answers in the envelope', async () => {
    const res = await member.client.request('PUT', '/api/profile', { body: { name: 'x' } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(findLeaks(res.text)).toEqual([]);
    expect(Object.keys(res.body as object)).toEqual(['error']);
  });

  it('the requestId in an error body is the id the server generated, not one the client chose', async () => {
    const res = await member.client.get('/api/does-not-exist', {
      headers: { 'request-id': 'attacker-chosen', 'x-request-id': 'attacker-chosen' },
    });
    expectErrorEnvelope(res, 404, 'not_found');
    expect(res.body.error.requestId).not.toBe('attacker-chosen');
  });
});

describe('unusual but valid input is stored, not turned into a 500', () => {
  // Bidirectional overrides and control characters are refused (control-characters.test.ts).
  it('unicode junk in a note (zero-width, emoji, BOM, astral) is accepted and returned verbatim', async () => {
    const title = '\u200d Ω ≈ 💥 \u{1F600} \u200b';
    const body = '\\u0000 \u200b\u200d \u{10FFFF}'.repeat(100);
    const created = await member.client.post<{ id: string; title: string; body: string }>(
      '/api/notes',
      { title: `${title}\uFEFF`, body },
    );
    expect(created.status).toBe(201);
    const read = await member.client.get<{ title: string; body: string }>(
      `/api/notes/${created.body.id}`,
    );
    expect(read.status).toBe(200);
    // Only surrounding whitespace is trimmed (U+FEFF counts as whitespace).
    expect(read.body.title).toBe(title);
    expect(read.body.body).toBe(body);
  });

  it('a NUL character in stored text → 400 validation_failed, not a database error', async () => {
    for (const note of [
      { title: 'nul \u0000 title', body: 'b' },
      { title: 't', body: 'nul \u0000 body' },
    ]) {
      expectErrorEnvelope(await member.client.post('/api/notes', note), 400, 'validation_failed');
    }
    expectErrorEnvelope(
      await member.client.patch('/api/profile', { name: 'a\u0000b' }),
      400,
      'validation_failed',
    );
  });
});
