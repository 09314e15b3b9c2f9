import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NoteListResponse } from '@portcullis/contract/notes';
import {
  createUser,
  expectErrorEnvelope,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/** ASVS 13.1.3 / 5.1: bodies are bounded in size and only JSON is parsed. */

const MIB = 1024 * 1024;

let testApp: TestApp;
let member: TestUser;

beforeAll(async () => {
  testApp = await startTestApp();
  member = await createUser(testApp);
});

afterAll(async () => {
  await testApp.close();
});

function jsonOfSize(bytes: number): string {
  const skeleton = JSON.stringify({ title: 'big', body: '' });
  return JSON.stringify({ title: 'big', body: 'x'.repeat(bytes - skeleton.length) });
}

describe('request body size', () => {
  it('control: a 1,000,000-byte JSON body is parsed (400 validation_failed for the over-long note, not 413)', async () => {
    const rawBody = jsonOfSize(1_000_000);
    expect(Buffer.byteLength(rawBody)).toBe(1_000_000);
    const res = await member.client.request('POST', '/api/notes', {
      rawBody,
      headers: { 'content-type': 'application/json' },
    });
    expectErrorEnvelope(res, 400, 'validation_failed');
  });

  it('a 1.1 MiB JSON body → 413 payload_too_large', async () => {
    const rawBody = jsonOfSize(Math.round(1.1 * MIB));
    const res = await member.client.request('POST', '/api/notes', {
      rawBody,
      headers: { 'content-type': 'application/json' },
    });
    expectErrorEnvelope(res, 413, 'payload_too_large');
  });

  it('a 1.1 MiB JSON body on a public route (register) → 413 payload_too_large', async () => {
    const rawBody = JSON.stringify({
      email: 'a@example.test',
      password: 'x'.repeat(Math.round(1.1 * MIB)),
      name: 'n',
    });
    const res = await member.client.request('POST', '/api/register', {
      rawBody,
      headers: { 'content-type': 'application/json' },
    });
    expectErrorEnvelope(res, 413, 'payload_too_large');
  });

  it('nothing was stored by the refused requests', async () => {
    const res = await member.client.get<NoteListResponse>('/api/notes');
    expect(res.body.notes).toEqual([]);
  });
});

describe('content type', () => {
  it('control: the same note as application/json → 201', async () => {
    const res = await member.client.request('POST', '/api/notes', {
      rawBody: JSON.stringify({ title: 't', body: 'b' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(201);
  });

  const refused: [string, string][] = [
    ['text/plain', JSON.stringify({ title: 't', body: 'b' })],
    ['application/x-www-form-urlencoded', 'title=t&body=b'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="title"\r\n\r\nt\r\n--x--\r\n',
    ],
    ['application/xml', '<note><title>t</title></note>'],
  ];

  for (const [contentType, rawBody] of refused) {
    it(`content-type ${contentType.split(';')[0] ?? ''} on a JSON route → 415 unsupported_media_type (with valid CSRF)`, async () => {
      const res = await member.client.request('POST', '/api/notes', {
        rawBody,
        headers: { 'content-type': contentType },
      });
      expectErrorEnvelope(res, 415, 'unsupported_media_type');
    });
  }

  it('a PATCH with text/plain → 415 unsupported_media_type', async () => {
    const res = await member.client.request('PATCH', '/api/profile', {
      rawBody: JSON.stringify({ name: 'x' }),
      headers: { 'content-type': 'text/plain' },
    });
    expectErrorEnvelope(res, 415, 'unsupported_media_type');
  });
});
