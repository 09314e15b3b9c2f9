import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Note, NoteListResponse } from '@portcullis/contract/notes';
import type { ErrorBody } from '@portcullis/contract/errors';
import {
  createUser,
  expectErrorEnvelope,
  startTestApp,
  TestClient,
  type TestApp,
  type TestResponse,
  type TestUser,
} from '../support/test-app.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MISSING_ID = '5f1b6c2e-8d3a-4b7f-9e21-0c4d5a6b7c8d';

let testApp: TestApp;
let owner: TestUser;
let intruder: TestUser;

beforeAll(async () => {
  testApp = await startTestApp();
  owner = await createUser(testApp, { label: 'owner' });
  intruder = await createUser(testApp, { label: 'intruder' });
});

afterAll(async () => {
  await testApp.close();
});

async function createNote(client: TestClient, title: string, body = 'body'): Promise<Note> {
  const res = await client.post<Note>('/api/notes', { title, body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

function withoutRequestId(res: TestResponse<ErrorBody>) {
  return { status: res.status, error: { ...res.body.error, requestId: undefined } };
}

describe('notes CRUD', () => {
  it('POST → 201 with an unguessable uuid v4 id', async () => {
    const res = await owner.client.post<Note>('/api/notes', { title: ' First ', body: 'Hello' });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['body', 'createdAt', 'id', 'title', 'updatedAt']);
    expect(res.body.id).toMatch(UUID_V4);
    expect(res.body).toMatchObject({ title: 'First', body: 'Hello' });
    const second = await createNote(owner.client, 'Second');
    expect(second.id).not.toBe(res.body.id);
  });

  it('concurrent creates from two owners, committed together, each land once with their owner', async () => {
    const titles = Array.from({ length: 12 }, (_, index) => `Concurrent ${String(index)}`);
    const created = await Promise.all(
      titles.map((title, index) =>
        createNote(index % 2 === 0 ? owner.client : intruder.client, title),
      ),
    );
    expect(created.map((note) => note.title)).toEqual(titles);
    for (const [index, note] of created.entries()) {
      const mine = index % 2 === 0 ? owner.client : intruder.client;
      const theirs = index % 2 === 0 ? intruder.client : owner.client;
      expect((await mine.get<Note>(`/api/notes/${note.id}`)).body).toEqual(note);
      expect((await theirs.get(`/api/notes/${note.id}`)).status).toBe(404);
    }
  });

  it('GET /api/notes/:id, PATCH and DELETE work for the owner', async () => {
    const note = await createNote(owner.client, 'Editable', 'v1');
    const read = await owner.client.get<Note>(`/api/notes/${note.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(note);

    const patched = await owner.client.patch<Note>(`/api/notes/${note.id}`, { body: 'v2' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: note.id, title: 'Editable', body: 'v2' });

    const deleted = await owner.client.delete<undefined>(`/api/notes/${note.id}`);
    expect(deleted.status).toBe(204);
    expectErrorEnvelope(await owner.client.get(`/api/notes/${note.id}`), 404, 'not_found');
  });

  it('PATCH with no change, or an unknown field → 400 validation_failed', async () => {
    const note = await createNote(owner.client, 'Strict');
    expectErrorEnvelope(
      await owner.client.patch(`/api/notes/${note.id}`, {}),
      400,
      'validation_failed',
    );
    expectErrorEnvelope(
      await owner.client.patch(`/api/notes/${note.id}`, { title: 'x', ownerId: intruder.user.id }),
      400,
      'validation_failed',
    );
  });

  it('anonymous requests → 401 unauthenticated', async () => {
    const anonymous = new TestClient(testApp);
    expectErrorEnvelope(await anonymous.get('/api/notes'), 401, 'unauthenticated');
    expectErrorEnvelope(
      await anonymous.post('/api/notes', { title: 't', body: 'b' }),
      401,
      'unauthenticated',
    );
  });
});

describe('GET /api/notes pagination', () => {
  it('limit=2 pages through 5 notes with no duplicates and no gaps', async () => {
    const reader = await createUser(testApp, { label: 'pager' });
    const created: Note[] = [];
    for (let i = 1; i <= 5; i += 1) {
      created.push(await createNote(reader.client, `Note ${i}`));
      // Distinct creation times, so "newest first" has one right answer.
      await sleep(3);
    }

    const seen: Note[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const res: TestResponse<NoteListResponse> = await reader.client.get<NoteListResponse>(
        `/api/notes?limit=2${query}`,
      );
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['nextCursor', 'notes']);
      pageSizes.push(res.body.notes.length);
      seen.push(...res.body.notes);
      cursor = res.body.nextCursor;
    } while (cursor !== null && pageSizes.length < 10);

    expect(pageSizes).toEqual([2, 2, 1]);
    const ids = seen.map((n) => n.id);
    expect(new Set(ids).size).toBe(5);
    expect([...ids].sort()).toEqual(created.map((n) => n.id).sort());
    // Newest first.
    expect(seen.map((n) => n.title)).toEqual(['Note 5', 'Note 4', 'Note 3', 'Note 2', 'Note 1']);
  });

  it("never lists another user's notes", async () => {
    const secret = await createNote(intruder.client, 'Intruder private');
    const res = await owner.client.get<NoteListResponse>('/api/notes?limit=100');
    expect(res.status).toBe(200);
    expect(res.body.notes.map((n) => n.id)).not.toContain(secret.id);
  });
});

describe("another user's note is answered exactly like a missing one (no IDOR)", () => {
  it('GET, PATCH and DELETE → 404 not_found, identical to a missing id, and the note is unchanged', async () => {
    const note = await createNote(owner.client, 'Owner only', 'secret body');

    const getOther = await intruder.client.get(`/api/notes/${note.id}`);
    const getMissing = await intruder.client.get(`/api/notes/${MISSING_ID}`);
    expectErrorEnvelope(getOther, 404, 'not_found');
    expect(withoutRequestId(getOther)).toEqual(withoutRequestId(getMissing));
    expect(getOther.text).not.toContain('secret body');

    const patchOther = await intruder.client.patch(`/api/notes/${note.id}`, { title: 'Hijacked' });
    const patchMissing = await intruder.client.patch(`/api/notes/${MISSING_ID}`, {
      title: 'Hijacked',
    });
    expectErrorEnvelope(patchOther, 404, 'not_found');
    expect(withoutRequestId(patchOther)).toEqual(withoutRequestId(patchMissing));

    const deleteOther = await intruder.client.delete(`/api/notes/${note.id}`);
    const deleteMissing = await intruder.client.delete(`/api/notes/${MISSING_ID}`);
    expectErrorEnvelope(deleteOther, 404, 'not_found');
    expect(withoutRequestId(deleteOther)).toEqual(withoutRequestId(deleteMissing));

    const after = await owner.client.get<Note>(`/api/notes/${note.id}`);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(note);
  });
});

describe('notes are data, never markup', () => {
  it('an XSS title is stored and returned verbatim as application/json', async () => {
    const title = '<img src=x onerror=alert(1)>';
    const body = '<script>alert(document.cookie)</script>';
    const created = await createNote(owner.client, title, body);
    expect(created.title).toBe(title);

    const res = await owner.client.get<Note>(`/api/notes/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.body.title).toBe(title);
    expect(res.body.body).toBe(body);
    const list = await owner.client.get<NoteListResponse>('/api/notes?limit=100');
    expect(list.body.notes.find((n) => n.id === created.id)?.title).toBe(title);
  });
});
