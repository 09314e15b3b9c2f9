import { randomBytes } from 'node:crypto';
import { type Algorithm, hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { createBoundedWorkQueue, type BoundedWorkQueue } from './bounded-work-queue.js';
import { bindHashingClientToRequests, currentHashingClient } from './hashing-client.js';

export interface Argon2idParams {
  /** Memory per hash, in KiB (`m=` in the PHC string). */
  memoryCost: number;
  /** Passes over memory (`t=`). */
  timeCost: number;
  /** Lanes (`p=`). */
  parallelism: number;
  /** Bytes of hash output. */
  outputLen: number;
}

/**
 * OWASP Password Storage Cheat Sheet baseline for Argon2id: m=19456 KiB (19 MiB), t=2, p=1.
 * Measured on the 2-core reference machine: about 19 ms per hash or verify on one core. With the
 * default HASH_CONCURRENCY of cores - 1 = 1 that is about 50 logins per second per instance while
 * the other core keeps serving the event loop, and a full wait queue of 64 drains in about 1.3 s,
 * well inside client timeouts. Heavier settings (m=64 MiB, t=3: ~100 ms) would cut login-storm
 * capacity five-fold for a gain an attacker with GPUs barely notices; raising these numbers later
 * is safe because `needsRehash` upgrades stored hashes at each user's next login.
 * p=1 because the work is already parallel across requests; more lanes per hash would only let one
 * login take both cores. 32-byte output and the library's 16-byte random salt per hash (RFC 9106).
 */
export const ARGON2ID_PARAMS: Readonly<Argon2idParams> = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
});

// `Algorithm` is an ambient const enum: isolatedModules cannot inline it and it does not exist at
// run time, so its value is written out (2 is Argon2id in the package's index.d.ts).
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- see above
const ARGON2ID = 2 as Algorithm.Argon2id;
const ARGON2_VERSION_0x13 = 19;
const MIN_SALT_BYTES = 16;

/**
 * Stored hashes come from our own database, but imported (migrated) hashes carry their own cost
 * parameters. These caps stop one crafted or absurd import (m=4 GiB, bcrypt cost 31) from making a
 * single login allocate gigabytes or burn a core for hours; such hashes are treated as unusable.
 */
const MAX_ARGON2_MEMORY_KIB = 262_144;
const MAX_ARGON2_TIME_COST = 16;
const MAX_ARGON2_PARALLELISM = 16;
const MIN_BCRYPT_COST = 4;
const MAX_BCRYPT_COST = 14;

export interface PasswordHasherOptions {
  /** Hashes running at once; each takes one libuv thread and `memoryCost` KiB. */
  concurrency: number;
  /** Hash requests allowed to wait; beyond that callers get 503 server_busy at once. */
  queueMax: number;
  /**
   * Hashes (running and waiting) one client address may hold; its next sign-in is refused 429 at
   * once while other clients are still served. Unset: only the whole queue is bounded.
   */
  perClientMax?: number;
  /** A client is counted as every limit counts one: an IPv6 address by this prefix (client-key). */
  ipv6PrefixLength?: number;
  /** Only to raise the cost above ARGON2ID_PARAMS, never to lower it. */
  params?: Argon2idParams;
}

export interface PasswordVerification {
  valid: boolean;
  /** True only when `valid`: the caller should store `hash(password)` in place of the old hash. */
  needsRehash: boolean;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(storedHash: string, password: string): Promise<PasswordVerification>;
  /**
   * Costs one real verify and always fails. Sign-in calls it when the email is unknown so the
   * response time does not reveal which emails have accounts (account enumeration, OWASP
   * Authentication Cheat Sheet).
   */
  verifyAgainstDummy(password: string): Promise<void>;
  /** Hashes running and waiting now (the metrics' queue depth). */
  load(): { active: number; waiting: number };
}

type StoredHashFormat =
  | {
      kind: 'argon2';
      variant: 'argon2id' | 'argon2i' | 'argon2d';
      version: number;
      params: Argon2idParams;
      saltBytes: number;
    }
  | { kind: 'bcrypt'; cost: number }
  | { kind: 'unsupported' };

// PHC string as written by the reference implementation and @node-rs/argon2. Anchored and with
// bounded digit counts, so parsing untrusted text is linear and cannot be fooled by a prefix.
const ARGON2_PHC =
  /^\$(argon2id|argon2i|argon2d)\$(?:v=(\d{1,3})\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,128})\$([A-Za-z0-9+/]{16,1024})$/;
// Modular crypt format. $2a$, $2b$ and $2y$ are the same algorithm in correct implementations;
// $2x$ marks hashes from the old crypt_blowfish sign-extension bug and is deliberately refused.
const BCRYPT_MCF = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

/** Bytes encoded by unpadded standard base64 of this many characters. */
function base64Bytes(encodedLength: number): number {
  return Math.floor((encodedLength * 3) / 4);
}

function identifyStoredHash(storedHash: string): StoredHashFormat {
  const argon2 = ARGON2_PHC.exec(storedHash);
  if (argon2) {
    const [, variant, version, m, t, p, salt, output] = argon2;
    const params: Argon2idParams = {
      memoryCost: Number(m),
      timeCost: Number(t),
      parallelism: Number(p),
      outputLen: base64Bytes(output?.length ?? 0),
    };
    const withinCaps =
      params.memoryCost <= MAX_ARGON2_MEMORY_KIB &&
      params.timeCost >= 1 &&
      params.timeCost <= MAX_ARGON2_TIME_COST &&
      params.parallelism >= 1 &&
      params.parallelism <= MAX_ARGON2_PARALLELISM;
    if (!withinCaps || (variant !== 'argon2id' && variant !== 'argon2i' && variant !== 'argon2d')) {
      return { kind: 'unsupported' };
    }
    return {
      kind: 'argon2',
      variant,
      // A PHC string without v= was written by Argon2 1.0 (0x10 = 16).
      version: version === undefined ? 16 : Number(version),
      params,
      saltBytes: base64Bytes(salt?.length ?? 0),
    };
  }
  const bcrypt = BCRYPT_MCF.exec(storedHash);
  if (bcrypt) {
    const cost = Number(bcrypt[1]);
    if (cost >= MIN_BCRYPT_COST && cost <= MAX_BCRYPT_COST) {
      return { kind: 'bcrypt', cost };
    }
  }
  return { kind: 'unsupported' };
}

function isBelow(stored: Argon2idParams, current: Readonly<Argon2idParams>): boolean {
  return (
    stored.memoryCost < current.memoryCost ||
    stored.timeCost < current.timeCost ||
    stored.parallelism < current.parallelism ||
    stored.outputLen < current.outputLen
  );
}

function needsRehashFor(format: StoredHashFormat, current: Readonly<Argon2idParams>): boolean {
  switch (format.kind) {
    case 'bcrypt':
      // bcrypt only uses the first 72 bytes of the password (anything after is silently ignored,
      // so "72 bytes + anything" also verifies) and is weaker against GPUs than Argon2id. Hashes
      // imported from another system are therefore replaced by Argon2id at the user's next login,
      // the only moment we hold the plaintext.
      return true;
    case 'argon2':
      // argon2i and argon2d are upgraded to the hybrid argon2id (RFC 9106 §4 recommends it);
      // older versions and weaker parameters are upgraded to the current ones.
      return (
        format.variant !== 'argon2id' ||
        format.version !== ARGON2_VERSION_0x13 ||
        format.saltBytes < MIN_SALT_BYTES ||
        isBelow(format.params, current)
      );
    case 'unsupported':
      return false;
  }
}

function assertParamsNotWeaker(params: Argon2idParams): void {
  const integers = [params.memoryCost, params.timeCost, params.parallelism, params.outputLen];
  if (!integers.every((value) => Number.isSafeInteger(value))) {
    throw new RangeError('Argon2id parameters must be integers');
  }
  if (isBelow(params, ARGON2ID_PARAMS)) {
    // Secure by default: a typo in configuration must not silently weaken every new hash.
    throw new RangeError(
      `Argon2id parameters must be at least m=${ARGON2ID_PARAMS.memoryCost}, t=${ARGON2ID_PARAMS.timeCost}, p=${ARGON2ID_PARAMS.parallelism}, outputLen=${ARGON2ID_PARAMS.outputLen}`,
    );
  }
}

/**
 * The library throws on inputs it cannot decode (bad base64, wrong lengths). Those come from the
 * stored hash, never from a correct password, so they count as a failed verification: a user's
 * input must never turn into a 500.
 */
async function falseOnError(verification: Promise<boolean>): Promise<boolean> {
  try {
    return await verification;
  } catch {
    return false;
  }
}

export function createPasswordHasher(options: PasswordHasherOptions): PasswordHasher {
  const params: Readonly<Argon2idParams> = options.params ?? ARGON2ID_PARAMS;
  assertParamsNotWeaker(params);
  const argon2Options = {
    algorithm: ARGON2ID,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    outputLen: params.outputLen,
  };
  // One queue for hash, verify and the dummy verify alike: together they are the CPU a login
  // storm consumes, and @node-rs/argon2 runs them on the libuv pool, off the event loop.
  const queue: BoundedWorkQueue = createBoundedWorkQueue({
    concurrency: options.concurrency,
    queueMax: options.queueMax,
    ...(options.perClientMax !== undefined ? { perKeyMax: options.perClientMax } : {}),
  });
  if (options.perClientMax !== undefined) bindHashingClientToRequests(options.ipv6PrefixLength);
  // Each task is charged to the client of the request it runs for (none in the CLI).
  const runForClient = <T>(task: () => Promise<T>): Promise<T> =>
    queue.run(task, currentHashingClient());

  let dummyHash: Promise<string> | undefined;

  function getDummyHash(): Promise<string> {
    if (dummyHash === undefined) {
      // A random password nobody knows, hashed with the current parameters, so verifying against
      // it costs exactly what verifying a real account's hash costs.
      const pending = runForClient(() =>
        argon2Hash(randomBytes(32).toString('base64url'), argon2Options),
      );
      dummyHash = pending;
      // If the queue was full the first time, let a later call try again instead of caching
      // the refusal forever.
      void pending.catch(() => {
        if (dummyHash === pending) dummyHash = undefined;
      });
    }
    return dummyHash;
  }

  async function verifyAgainstDummy(password: string): Promise<void> {
    const hashToMiss = await getDummyHash();
    await runForClient(() => falseOnError(argon2Verify(hashToMiss, password)));
  }

  async function verify(storedHash: string, password: string): Promise<PasswordVerification> {
    const format = identifyStoredHash(storedHash);
    if (format.kind === 'unsupported') {
      // Spend the same time as a real verify so a corrupt or foreign record is not observable.
      await verifyAgainstDummy(password);
      return { valid: false, needsRehash: false };
    }
    const valid = await runForClient(() =>
      falseOnError(
        format.kind === 'bcrypt'
          ? bcryptVerify(password, storedHash)
          : argon2Verify(storedHash, password),
      ),
    );
    return { valid, needsRehash: valid && needsRehashFor(format, params) };
  }

  return {
    hash: (password) => runForClient(() => argon2Hash(password, argon2Options)),
    verify,
    verifyAgainstDummy,
    load: () => ({ active: queue.active, waiting: queue.waiting }),
  };
}
