import { sql, type Kysely } from 'kysely';
import { GENESIS_HASH, sealEvent, type UnsealedEvent } from './audit-chain.js';

/**
 * Migration 010: seals the events stored before the chain existed, oldest first, and sets the
 * chain's head. Pages of 500 keep memory flat on a large trail.
 */
export async function sealExistingAuditEvents(db: Kysely<unknown>): Promise<void> {
  let seq = 0;
  let prevHash = GENESIS_HASH;
  let after: { at: number; id: string } | undefined;
  for (;;) {
    const page = after;
    const { rows } = await sql<UnsealedEvent>`
      select id, at, type, outcome, actor_id, actor_email, target_id, target_email, ip,
        user_agent, detail
      from audit_events
      ${page === undefined ? sql`` : sql`where at > ${page.at} or (at = ${page.at} and id > ${page.id})`}
      order by at, id
      limit 500`.execute(db);
    for (const row of rows) {
      const event = row;
      seq += 1;
      const seal = sealEvent(event, seq, prevHash);
      await sql`update audit_events set seq = ${seal.seq}, prev_hash = ${seal.prev_hash},
        hash = ${seal.hash}, actor_seal = ${seal.actor_seal}, target_seal = ${seal.target_seal},
        detail_seal = ${seal.detail_seal}
        where id = ${event.id}`.execute(db);
      prevHash = seal.hash;
      after = { at: event.at, id: event.id };
    }
    if (rows.length < 500) break;
  }
  await sql`insert into audit_chain_head (id, seq, hash) values (1, ${seq}, ${prevHash})`.execute(
    db,
  );
}
