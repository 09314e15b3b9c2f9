import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '@portcullis/contract/auth';
import type { ErrorBody } from '@portcullis/contract/errors';
import type { Note } from '@portcullis/contract/notes';
import {
  createUser,
  expectErrorEnvelope,
  startTestApp,
  strongPassword,
  TestClient,
  uniqueEmail,
  type TestApp,
  type TestResponse,
  type TestUser,
} from '../support/test-app.js';

/**
 * Single-line fields (names, note titles) refuse control characters and bidirectional overrides:
 * a name with a newline and ANSI escapes once printed a forged admin row, in colour, in the
 * operator's `cli user list`. Note bodies keep line breaks and tabs and refuse the rest.
 */
const forbiddenInOneLine: [string, string][] = [
  ['line feed', 'Mallory\nadmin@example.com  admin'],
  ['carriage return', 'Mallory\rAdmin'],
  ['tab', 'Mallory\tadmin'],
  ['ANSI escape (ESC [)', 'Mallory\u001b[31m admin'],
  ['C1 CSI', 'Mallory\u009b31m'],
  ['C1 NEL', 'Mallory\u0085admin'],
  ['DEL', 'Mallory\u007f'],
  ['bell', 'Mallory\u0007'],
  ['right-to-left override U+202E', 'Mallory\u202enimda'],
  ['left-to-right embedding U+202A', '\u202aMallory'],
  ['pop directional formatting U+202C', 'Mallory\u202c'],
  ['right-to-left isolate U+2067', 'Mallory\u2067x'],
  ['pop directional isolate U+2069', 'Mallory\u2069'],
];

let testApp: TestApp;
let author: TestUser;

beforeAll(async () => {
  testApp = await startTestApp();
  author = await createUser(testApp, { label: 'controls' });
});

afterAll(async () => {
  await testApp.close();
});

function expectFieldError(res: TestResponse<unknown>, field: string): void {
  expectErrorEnvelope(res, 400, 'validation_failed');
  expect((res.body as ErrorBody).error.fields?.map((f) => f.path)).toEqual([field]);
}

describe('names refuse control characters and bidi overrides', () => {
  it.each(forbiddenInOneLine)(
    'registration with a %s in the name → 400 on name',
    async (_label, name) => {
      const client = new TestClient(testApp);
      const res = await client.register(uniqueEmail('ctl'), strongPassword(), name);
      expectFieldError(res, 'name');
    },
  );

  it.each(forbiddenInOneLine)(
    'renaming to a name with a %s → 400 on name, name unchanged',
    async (_label, name) => {
      const res = await author.client.patch('/api/profile', { name });
      expectFieldError(res, 'name');
      const profile = await author.client.get<{ user: User }>('/api/profile');
      expect(profile.body.user.name).toBe(author.name);
    },
  );

  it('ordinary Unicode names (accents, CJK, Arabic, emoji) are accepted', async () => {
    for (const name of ['Zoë Ångström', '山田 太郎', 'مريم', 'Ana 🦊']) {
      const res = await author.client.patch<{ user: User }>('/api/profile', { name });
      expect(res.status, name).toBe(200);
      expect(res.body.user.name).toBe(name);
    }
  });
});

describe('note titles are one line; bodies keep line breaks and tabs', () => {
  it.each(forbiddenInOneLine)('a title with a %s → 400 on title', async (_label, title) => {
    const res = await author.client.post('/api/notes', { title, body: 'b' });
    expectFieldError(res, 'title');
  });

  it('a body keeps line feeds, carriage returns and tabs', async () => {
    const body = 'first line\r\nsecond\tline\nthird';
    const res = await author.client.post<Note>('/api/notes', { title: 'multi-line', body });
    expect(res.status).toBe(201);
    expect(res.body.body).toBe(body);
  });

  it.each(
    forbiddenInOneLine.filter(
      ([label]) => !['line feed', 'carriage return', 'tab'].includes(label),
    ),
  )('a body with a %s → 400 on body', async (_label, body) => {
    const res = await author.client.post('/api/notes', { title: 'ok', body });
    expectFieldError(res, 'body');
  });
});
