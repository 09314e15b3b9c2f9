import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The tamper-evident audit trail (ADR 017): every event is sealed into one hash chain per
 * database. The encodings below are frozen: a change needs a new version tag, or every sealed row
 * written before it would stop verifying. docs/audit-export.md describes them for other tools.
 */

/** The `prev_hash` of sequence 1: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

const EVENT_TAG = 'portcullis-audit-event-v1';
const PERSONAL_TAG = 'portcullis-audit-personal-v1';
const CHECKPOINT_TAG = 'portcullis-audit-checkpoint-v1';

/**
 * Length-prefixed, so no choice of field values can make two different events encode alike
 * (`ab`,`c` and `a`,`bc` differ): each value is `<UTF-8 byte length>:<value>`, null is `~`.
 */
export function canonical(values: readonly (string | number | null)[]): string {
  return values
    .map((value) => {
      if (value === null) return '~';
      const text = typeof value === 'number' ? String(value) : value;
      return `${Buffer.byteLength(text, 'utf8')}:${text}`;
    })
    .join('');
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The personal fields in three groups, because account deletion scrubs them in those groups: what
 * identifies the actor (when the deleted user acted), the target's address (when it was done to
 * them), and the free-text detail (either way). An admin's address and IP on an event about a
 * deleted user stay, and stay verifiable.
 */
export const personalGroups = {
  actor: ['actor_email', 'ip', 'user_agent'],
  target: ['target_email'],
  detail: ['detail'],
} as const;

export type PersonalGroup = keyof typeof personalGroups;
type PersonalField = (typeof personalGroups)[PersonalGroup][number];
export type PersonalFields = Record<PersonalField, string | null>;

/** The seal column of each group. */
export const sealColumns = {
  actor: 'actor_seal',
  target: 'target_seal',
  detail: 'detail_seal',
} as const satisfies Record<PersonalGroup, string>;

/**
 * A group's seal is `<salt>.<digest>` while its fields are present and `<digest>` once scrubbed.
 * The chain hashes the digest alone, so dropping the salt and the fields keeps the chain whole.
 * The random salt is what makes the scrub an erasure: without it, SHA-256 of an address is a
 * pseudonym anyone can confirm by hashing candidate addresses; with it gone, the digest says
 * nothing.
 */
export function sealGroup(group: PersonalGroup, fields: PersonalFields, salt: string): string {
  return `${salt}.${groupDigest(group, fields, salt)}`;
}

function groupDigest(group: PersonalGroup, fields: PersonalFields, salt: string): string {
  return sha256(
    canonical([PERSONAL_TAG, group, salt, ...personalGroups[group].map((f) => fields[f])]),
  );
}

export function newSalt(): string {
  return randomBytes(16).toString('hex');
}

/** The digest part of a seal, which the chain covers. */
export function sealDigest(seal: string): string {
  const dot = seal.indexOf('.');
  return dot === -1 ? seal : seal.slice(dot + 1);
}

/** The seal once its group is scrubbed: the salt goes, the digest stays. */
export function scrubbedSeal(seal: string): string {
  return sealDigest(seal);
}

export type SealCheck = 'ok' | 'altered' | 'fields-without-salt';

/** Whether a group's fields are the ones sealed (or, once scrubbed, that none is left). */
export function checkSeal(group: PersonalGroup, fields: PersonalFields, seal: string): SealCheck {
  const dot = seal.indexOf('.');
  if (dot === -1) {
    // Scrubbed: nothing of the group may remain, or someone restored or planted a value.
    return personalGroups[group].every((field) => fields[field] === null)
      ? 'ok'
      : 'fields-without-salt';
  }
  return groupDigest(group, fields, seal.slice(0, dot)) === seal.slice(dot + 1) ? 'ok' : 'altered';
}

/** What the chain covers of an event. */
export interface ChainedEvent {
  seq: number;
  id: string;
  at: number;
  type: string;
  outcome: string;
  actor_id: string | null;
  target_id: string | null;
  actor_seal: string;
  target_seal: string;
  detail_seal: string;
}

export function eventHash(prevHash: string, event: ChainedEvent): string {
  return sha256(
    canonical([
      EVENT_TAG,
      prevHash,
      event.seq,
      event.id,
      event.at,
      event.type,
      event.outcome,
      event.actor_id,
      event.target_id,
      sealDigest(event.actor_seal),
      sealDigest(event.target_seal),
      sealDigest(event.detail_seal),
    ]),
  );
}

/** A signed statement that the chain had `hash` at `seq` at time `at`. */
export interface CheckpointClaim {
  seq: number;
  hash: string;
  at: number;
  kind: 'periodic' | 'prune';
}

/**
 * HMAC-SHA-256 with AUDIT_CHECKPOINT_KEY: whoever can write the database but lacks the key can
 * rebuild a consistent chain, but cannot sign a checkpoint for it, so a truncated and rebuilt log
 * disagrees with the checkpoints signed before.
 */
export function signCheckpoint(key: string, claim: CheckpointClaim): string {
  return createHmac('sha256', key)
    .update(canonical([CHECKPOINT_TAG, claim.seq, claim.hash, claim.at, claim.kind]), 'utf8')
    .digest('hex');
}

/** Any of the keys (newest first), so the key can be rotated without orphaning old checkpoints. */
export function checkpointSignedBy(
  keys: readonly string[],
  claim: CheckpointClaim,
  mac: string,
): boolean {
  const given = Buffer.from(mac, 'hex');
  return keys.some((key) => {
    const expected = Buffer.from(signCheckpoint(key, claim), 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** The fields of an event as stored, before it is sealed. */
export interface UnsealedEvent extends PersonalFields {
  id: string;
  at: number;
  type: string;
  outcome: string;
  actor_id: string | null;
  target_id: string | null;
}

export interface EventSeal {
  seq: number;
  prev_hash: string;
  hash: string;
  actor_seal: string;
  target_seal: string;
  detail_seal: string;
}

/** Seals an event as sequence `seq`, after the event whose hash is `prevHash`. */
export function sealEvent(event: UnsealedEvent, seq: number, prevHash: string): EventSeal {
  const seals = {
    actor_seal: sealGroup('actor', event, newSalt()),
    target_seal: sealGroup('target', event, newSalt()),
    detail_seal: sealGroup('detail', event, newSalt()),
  };
  return {
    seq,
    prev_hash: prevHash,
    hash: eventHash(prevHash, { ...event, seq, ...seals }),
    ...seals,
  };
}
