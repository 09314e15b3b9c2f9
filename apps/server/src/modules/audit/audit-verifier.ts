import type { AuditCheckpointsTable } from '../../db/schema.js';
import {
  checkpointSignedBy,
  checkSeal,
  eventHash,
  GENESIS_HASH,
  personalGroups,
  type PersonalGroup,
} from './audit-chain.js';
import type { AuditRepository, AuditRow } from './audit-repository.js';

/** Where the chain first stops proving itself, and why. */
export interface BrokenLink {
  /** The first sequence number that does not verify. */
  seq: number;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Sealed events checked. */
  events: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** The first broken link, if any: verification stops there. */
  broken: BrokenLink | null;
  /** Checkpoints whose signature verifies with a configured key. */
  validCheckpoints: number;
  /** Checkpoints whose signature does not: forged, or signed with a key no longer configured. */
  invalidCheckpoints: AuditCheckpointsTable[];
  /** Rows not on the chain (their ids, up to ten). */
  unsealed: { count: number; ids: string[] };
  /** The newest valid checkpoint's time, to see whether checkpoints stopped being written. */
  latestCheckpointAt: number | null;
}

const PAGE = 1000;

/**
 * Walks the chain from its first remaining event to the head: each event must follow the one
 * before it (sequence and `prev_hash`), hash to its `hash`, and carry the personal fields its
 * seals describe; the first event must be sequence 1 or follow a signed checkpoint (a prune's
 * cut); every signed checkpoint within the chain must name the hash the chain has there, and none
 * may lie beyond its end. A rewrite of any row breaks its own hash; a rewrite that recomputes the
 * hashes after it (a truncated and rebuilt log) breaks against a checkpoint signed before.
 */
export async function verifyAuditChain(
  repository: Pick<AuditRepository, 'sealedAfter' | 'checkpoints' | 'head' | 'unsealed'>,
  keys: readonly string[],
  /** Heads the operator kept outside the database (`audit verify --expect SEQ:HASH`). */
  expected: readonly { seq: number; hash: string }[] = [],
): Promise<VerifyReport> {
  const valid: AuditCheckpointsTable[] = [];
  const invalid: AuditCheckpointsTable[] = [];
  for (const checkpoint of await repository.checkpoints()) {
    (checkpointSignedBy(keys, checkpoint, checkpoint.mac) ? valid : invalid).push(checkpoint);
  }
  const signedAt = new Map<number, string[]>();
  for (const checkpoint of valid) {
    signedAt.set(checkpoint.seq, [...(signedAt.get(checkpoint.seq) ?? []), checkpoint.hash]);
  }
  for (const { seq, hash } of expected) signedAt.set(seq, [...(signedAt.get(seq) ?? []), hash]);
  const unsealedRows = await repository.unsealed(10_000);
  const report: VerifyReport = {
    ok: false,
    events: 0,
    firstSeq: null,
    lastSeq: null,
    broken: null,
    validCheckpoints: valid.length,
    invalidCheckpoints: invalid,
    unsealed: { count: unsealedRows.length, ids: unsealedRows.slice(0, 10).map((row) => row.id) },
    latestCheckpointAt: valid.reduce<number | null>(
      (latest, checkpoint) => (latest === null || checkpoint.at > latest ? checkpoint.at : latest),
      null,
    ),
  };
  const finish = (broken: BrokenLink | null): VerifyReport => {
    report.broken = broken;
    report.ok = broken === null && invalid.length === 0 && unsealedRows.length === 0;
    return report;
  };

  let prevSeq: number | undefined;
  let prevHash = '';
  let afterSeq = 0;
  for (;;) {
    const rows = await repository.sealedAfter(afterSeq, PAGE);
    for (const row of rows) {
      const seq = Number(row.seq);
      if (prevSeq === undefined) {
        report.firstSeq = seq;
        const anchor = seq === 1 ? [GENESIS_HASH] : (signedAt.get(seq - 1) ?? []);
        if (anchor.length === 0) {
          return finish({
            seq,
            reason: `the chain starts at ${seq} and no signed checkpoint covers ${seq - 1}: events before it were removed`,
          });
        }
        prevHash = anchor.includes(row.prev_hash ?? '') ? (row.prev_hash ?? '') : (anchor[0] ?? '');
      } else if (seq !== prevSeq + 1) {
        return finish({ seq: prevSeq + 1, reason: `event ${prevSeq + 1} is missing` });
      }
      const problem = checkRow(row, seq, prevHash);
      if (problem !== undefined) return finish({ seq, reason: problem });
      const signed = signedAt.get(seq);
      if (signed !== undefined && !signed.every((hash) => hash === row.hash)) {
        return finish({
          seq,
          reason: `event ${seq} differs from a signed checkpoint: the log was rewritten from here`,
        });
      }
      report.events += 1;
      report.lastSeq = seq;
      prevSeq = seq;
      prevHash = row.hash ?? '';
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < PAGE) break;
    afterSeq = Number(last.seq);
  }

  const lastSeq = prevSeq ?? 0;
  const beyond = [...valid, ...expected].filter((checkpoint) => checkpoint.seq > lastSeq);
  if (beyond.length > 0) {
    const furthest = Math.max(...beyond.map((checkpoint) => checkpoint.seq));
    return finish({
      seq: lastSeq + 1,
      reason: `a signed checkpoint names event ${furthest}, but the chain ends at ${lastSeq}: the log was truncated`,
    });
  }
  const head = await repository.head();
  if (head !== undefined && head.seq !== lastSeq) {
    return finish(
      head.seq > lastSeq
        ? { seq: lastSeq + 1, reason: `the head is at ${head.seq}, the chain ends at ${lastSeq}` }
        : { seq: head.seq + 1, reason: `events after the head (${head.seq}) were added around it` },
    );
  }
  if (head !== undefined && prevSeq !== undefined && head.hash !== prevHash) {
    return finish({ seq: lastSeq, reason: `event ${lastSeq} is not the head's hash` });
  }
  return finish(null);
}

/** Why one row does not verify after the hash `prevHash`, or undefined. */
export function checkRow(row: AuditRow, seq: number, prevHash: string): string | undefined {
  if (row.prev_hash !== prevHash) return `event ${seq} does not follow event ${seq - 1}`;
  const { actor_seal: actor, target_seal: target, detail_seal: detail } = row;
  if (actor == null || target == null || detail == null) return `event ${seq} has a missing seal`;
  const seals: Record<PersonalGroup, string> = { actor, target, detail };
  for (const group of Object.keys(personalGroups) as PersonalGroup[]) {
    const seal = seals[group];
    const check = checkSeal(group, row, seal);
    if (check === 'altered') return `event ${seq}: ${personalGroups[group].join(', ')} altered`;
    if (check === 'fields-without-salt') {
      return `event ${seq}: ${personalGroups[group].join(', ')} present on a scrubbed seal`;
    }
  }
  const expected = eventHash(prevHash, {
    seq,
    id: row.id,
    at: row.at,
    type: row.type,
    outcome: row.outcome,
    actor_id: row.actor_id,
    target_id: row.target_id,
    actor_seal: seals.actor,
    target_seal: seals.target,
    detail_seal: seals.detail,
  });
  return expected === row.hash ? undefined : `event ${seq} was altered`;
}
