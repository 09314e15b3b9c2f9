import { hash as argon2Hash, type Algorithm } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/app-error.js';
import { ARGON2ID_PARAMS, createPasswordHasher } from '../../src/lib/password-hasher.js';

// Values of the ambient const enum `Algorithm`, which does not exist at run time.
/* eslint-disable @typescript-eslint/no-unsafe-enum-assignment -- see above */
const ARGON2ID = 2 as Algorithm.Argon2id;
const ARGON2I = 1 as Algorithm.Argon2i;
const ARGON2D = 0 as Algorithm.Argon2d;
/* eslint-enable @typescript-eslint/no-unsafe-enum-assignment */

const PASSWORD = 'correct horse battery staple';

function newHasher(concurrency = 2, queueMax = 16) {
  return createPasswordHasher({ concurrency, queueMax });
}

async function medianMs(times: number, action: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const start = performance.now();
    await action();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

describe('ARGON2ID_PARAMS', () => {
  it('meets the OWASP minimum for Argon2id (m=19456 KiB, t=2, p=1)', () => {
    expect(ARGON2ID_PARAMS.memoryCost).toBeGreaterThanOrEqual(19_456);
    expect(ARGON2ID_PARAMS.timeCost).toBeGreaterThanOrEqual(2);
    expect(ARGON2ID_PARAMS.parallelism).toBeGreaterThanOrEqual(1);
    expect(Object.isFrozen(ARGON2ID_PARAMS)).toBe(true);
  });
});

describe('createPasswordHasher', () => {
  it('hashes with Argon2id v=19 and the current parameters in the PHC string, salted per hash', async () => {
    const hasher = newHasher();
    const first = await hasher.hash(PASSWORD);
    const second = await hasher.hash(PASSWORD);
    const { memoryCost: m, timeCost: t, parallelism: p } = ARGON2ID_PARAMS;
    expect(first.startsWith(`$argon2id$v=19$m=${m},t=${t},p=${p}$`)).toBe(true);
    expect(first).not.toContain(PASSWORD);
    // Same password, different salt, different hash: no precomputed tables, no equal-hash leaks.
    expect(second).not.toBe(first);
  });

  it('verifies the right password and refuses a wrong one, with no rehash for current hashes', async () => {
    const hasher = newHasher();
    const stored = await hasher.hash(PASSWORD);
    await expect(hasher.verify(stored, PASSWORD)).resolves.toEqual({
      valid: true,
      needsRehash: false,
    });
    await expect(hasher.verify(stored, 'correct horse battery stapl')).resolves.toEqual({
      valid: false,
      needsRehash: false,
    });
    await expect(hasher.verify(stored, PASSWORD.toUpperCase())).resolves.toMatchObject({
      valid: false,
    });
  });

  it('hashes the whole password: passwords differing after 72 bytes do not collide', async () => {
    const hasher = newHasher();
    const prefix = 'x'.repeat(72);
    const stored = await hasher.hash(`${prefix}A`);
    await expect(hasher.verify(stored, `${prefix}B`)).resolves.toMatchObject({ valid: false });
    await expect(hasher.verify(stored, prefix)).resolves.toMatchObject({ valid: false });
  });

  it('handles Unicode passwords byte-exactly', async () => {
    const hasher = newHasher();
    const password = 'pässwörd 🔐 日本語のパスワード';
    const stored = await hasher.hash(password);
    await expect(hasher.verify(stored, password)).resolves.toMatchObject({ valid: true });
    await expect(hasher.verify(stored, password.normalize('NFD'))).resolves.toMatchObject({
      valid: false,
    });
  });

  for (const prefix of ['$2a$', '$2b$', '$2y$']) {
    it(`verifies an imported bcrypt hash (${prefix}) and asks for a rehash to Argon2id`, async () => {
      const hasher = newHasher();
      const bcrypt = await bcryptHash(PASSWORD, 4);
      const imported = `${prefix}${bcrypt.slice(4)}`;
      await expect(hasher.verify(imported, PASSWORD)).resolves.toEqual({
        valid: true,
        needsRehash: true,
      });
      await expect(hasher.verify(imported, 'wrong password')).resolves.toEqual({
        valid: false,
        needsRehash: false,
      });
    });
  }

  it('documents why bcrypt is replaced: it ignores everything after 72 bytes', async () => {
    const hasher = newHasher();
    const prefix = 'y'.repeat(72);
    const imported = await bcryptHash(`${prefix}first`, 4);
    // The truncation a rehash to Argon2id removes.
    await expect(hasher.verify(imported, `${prefix}second`)).resolves.toEqual({
      valid: true,
      needsRehash: true,
    });
  });

  it('asks for a rehash when an Argon2id hash has lower memory, time, parallelism or output length', async () => {
    const hasher = newHasher();
    const current = { ...ARGON2ID_PARAMS, algorithm: ARGON2ID };
    const weaker = [
      { ...current, memoryCost: ARGON2ID_PARAMS.memoryCost / 2 },
      { ...current, timeCost: ARGON2ID_PARAMS.timeCost - 1 },
      { ...current, outputLen: 16 },
    ];
    for (const options of weaker) {
      const stored = await argon2Hash(PASSWORD, options);
      await expect(hasher.verify(stored, PASSWORD)).resolves.toEqual({
        valid: true,
        needsRehash: true,
      });
    }
    // A hash that is stronger than the current parameters is left alone.
    const stronger = await argon2Hash(PASSWORD, { ...current, timeCost: current.timeCost + 1 });
    await expect(hasher.verify(stronger, PASSWORD)).resolves.toEqual({
      valid: true,
      needsRehash: false,
    });
    // Parallelism below the current one (only testable with a hasher raised above p=1).
    const raised = createPasswordHasher({
      concurrency: 1,
      queueMax: 4,
      params: { ...ARGON2ID_PARAMS, parallelism: 2 },
    });
    await expect(raised.verify(await hasher.hash(PASSWORD), PASSWORD)).resolves.toEqual({
      valid: true,
      needsRehash: true,
    });
  });

  it('asks for a rehash of argon2i and argon2d hashes', async () => {
    const hasher = newHasher();
    for (const algorithm of [ARGON2I, ARGON2D]) {
      const stored = await argon2Hash(PASSWORD, { ...ARGON2ID_PARAMS, algorithm });
      expect(stored.startsWith(algorithm === ARGON2I ? '$argon2i$' : '$argon2d$')).toBe(true);
      await expect(hasher.verify(stored, PASSWORD)).resolves.toEqual({
        valid: true,
        needsRehash: true,
      });
    }
  });

  it('treats unknown or garbage hash formats as not valid and never throws', async () => {
    const hasher = newHasher();
    const good = await hasher.hash(PASSWORD);
    const bcrypt = await bcryptHash(PASSWORD, 4);
    const garbage = [
      '',
      'not a hash',
      PASSWORD,
      '$argon2id$',
      '$argon2id$v=19$m=19456,t=2,p=1$!!!!!!!!!!!!!!!!$????????????????????????',
      good.slice(0, -10),
      `${good}x`,
      good.replace('$argon2id$', '$argon2xx$'),
      // Parameters far beyond anything we issue: refused rather than allocating 4 GiB.
      good.replace(/m=\d+/, 'm=4194304'),
      // $2x$ marks the crypt_blowfish sign-extension bug: refused even though it would verify.
      bcrypt.replace(/^\$2b\$/, '$2x$'),
      // Cost 31 would take days: refused (without the cap this test times out).
      bcrypt.replace(/^\$2b\$04\$/, '$2b$31$'),
      bcrypt.slice(0, -1),
      '$2b$04$too-short',
      '{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=',
      '5f4dcc3b5aa765d61d8327deb882cf99',
    ];
    for (const stored of garbage) {
      await expect(hasher.verify(stored, PASSWORD), stored).resolves.toEqual({
        valid: false,
        needsRehash: false,
      });
    }
  });

  it('sends a storm to 503 server_busy instead of queueing without bound', async () => {
    const hasher = createPasswordHasher({ concurrency: 1, queueMax: 2 });
    const stored = await hasher.hash(PASSWORD);
    const attempts = Array.from({ length: 8 }, () =>
      hasher.verify(stored, PASSWORD).then(
        () => 'done' as const,
        (error: unknown) => error,
      ),
    );
    const outcomes = await Promise.all(attempts);
    const done = outcomes.filter((outcome) => outcome === 'done');
    const refused = outcomes.filter((outcome) => outcome instanceof AppError);
    // One running plus two waiting are served; the other five are told to come back.
    expect(done).toHaveLength(3);
    expect(refused).toHaveLength(5);
    for (const error of refused) {
      expect(error).toMatchObject({
        code: 'server_busy',
        status: 503,
        options: { retryAfterSeconds: 1 },
      });
    }
    // hash and the dummy verify share the same limit.
    const held = [hasher.hash('a'), hasher.hash('b'), hasher.hash('c')];
    await expect(hasher.verifyAgainstDummy(PASSWORD)).rejects.toMatchObject({
      code: 'server_busy',
    });
    await expect(hasher.hash(PASSWORD)).rejects.toMatchObject({ code: 'server_busy' });
    await Promise.all(held);
    // Once the storm has passed, the dummy hash is created normally (a refusal is not cached).
    await expect(hasher.verifyAgainstDummy(PASSWORD)).resolves.toBeUndefined();
  });

  // A timing measurement on a machine other work shares: retried, since one burst of load during
  // one side's samples is not the behaviour under test.
  it(
    'makes an unknown-email sign-in cost about as much as a known-email one',
    { retry: 2 },
    async () => {
      const hasher = newHasher(1, 16);
      const stored = await hasher.hash(PASSWORD);
      // The first dummy call also creates the dummy hash (once); measure the steady state.
      await hasher.verifyAgainstDummy(PASSWORD);
      // Interleaved, so load that comes and goes falls on both sides alike.
      const realSamples: number[] = [];
      const dummySamples: number[] = [];
      for (let i = 0; i < 9; i++) {
        realSamples.push(await medianMs(1, () => hasher.verify(stored, 'wrong password')));
        dummySamples.push(await medianMs(1, () => hasher.verifyAgainstDummy('wrong password')));
      }
      const median = (values: number[]) =>
        [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
      const real = median(realSamples);
      const dummy = median(dummySamples);
      // Same algorithm and parameters; a factor of 2 either way leaves room for a noisy CI
      // machine but fails if the dummy skipped the work (~0 ms) or did it twice.
      expect(dummy).toBeGreaterThan(real / 2);
      expect(dummy).toBeLessThan(real * 2);
      // A garbage stored hash costs a verify too, so a broken record is not observable.
      const garbage = await medianMs(5, () => hasher.verify('garbage', 'wrong password'));
      expect(garbage).toBeGreaterThan(real / 2);
    },
  );

  it('refuses parameters below the current ones', () => {
    expect(() =>
      createPasswordHasher({
        concurrency: 1,
        queueMax: 1,
        params: { ...ARGON2ID_PARAMS, memoryCost: 4096 },
      }),
    ).toThrow(RangeError);
    expect(() =>
      createPasswordHasher({
        concurrency: 1,
        queueMax: 1,
        params: { ...ARGON2ID_PARAMS, timeCost: 1 },
      }),
    ).toThrow(RangeError);
  });
});
