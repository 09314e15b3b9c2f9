import type { Db } from '../../db/database.js';
import type { CredentialsTable, FederationFlowsTable, UsersTable } from '../../db/schema.js';
import { newId } from '../../lib/random.js';

export type FlowRow = FederationFlowsTable;

/** What a provider proved about its user, after openid-client validated the answer. */
export interface ProviderIdentity {
  providerId: string;
  /** The issuer identifier (OIDC) or the configured base URL (GitHub). */
  issuer: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  name: string | undefined;
}

/**
 * An external account is named by issuer and subject together: a subject is unique only within
 * its issuer (OIDC Core §2), so two providers' "12345" are two accounts. `#` cannot occur in an
 * issuer identifier (no fragment, OIDC Discovery §2), so the pair reads back unambiguously.
 */
export function externalIdOf(identity: Pick<ProviderIdentity, 'issuer' | 'subject'>): string {
  return `${identity.issuer}#${identity.subject}`;
}

/** Flow state, external credentials and federated sessions; no decision is taken here. */
export class FederationRepository {
  constructor(private readonly db: Db) {}

  async saveFlow(row: FlowRow): Promise<void> {
    await this.db.insertInto('federation_flows').values(row).execute();
  }

  /**
   * The flow the browser's cookie names, removed in the same step: a callback replayed (the same
   * URL opened twice, or raced) finds nothing. Only the request whose DELETE removed the row goes on.
   */
  async takeFlow(bindingHash: string): Promise<FlowRow | undefined> {
    const row = await this.db
      .selectFrom('federation_flows')
      .selectAll()
      .where('binding_hash', '=', bindingHash)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const deleted = await this.db
      .deleteFrom('federation_flows')
      .where('binding_hash', '=', bindingHash)
      .executeTakeFirst();
    return Number(deleted.numDeletedRows) === 1 ? row : undefined;
  }

  async deleteExpiredFlows(now: number): Promise<void> {
    await this.db.deleteFrom('federation_flows').where('expires_at', '<=', now).execute();
    await this.db.deleteFrom('federated_pending_sign_ins').where('expires_at', '<=', now).execute();
  }

  findExternal(externalId: string): Promise<CredentialsTable | undefined> {
    return this.db
      .selectFrom('credentials')
      .selectAll()
      .where('kind', '=', 'external')
      .where('external_id', '=', externalId)
      .executeTakeFirst();
  }

  listExternal(userId: string): Promise<CredentialsTable[]> {
    return this.db
      .selectFrom('credentials')
      .selectAll()
      .where('user_id', '=', userId)
      .where('kind', '=', 'external')
      .orderBy('created_at')
      .execute();
  }

  /** Ways in other than this external account: a password, a passkey, another provider. */
  async otherWaysIn(userId: string, exceptCredentialId: string): Promise<number> {
    const row = await this.db
      .selectFrom('credentials')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('user_id', '=', userId)
      .where('kind', 'in', ['password', 'passkey', 'external'])
      .where('id', '!=', exceptCredentialId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Removes the user's link; false when it is not theirs (or already gone). */
  async deleteExternal(userId: string, credentialId: string): Promise<boolean> {
    const deleted = await this.db
      .deleteFrom('credentials')
      .where('id', '=', credentialId)
      .where('user_id', '=', userId)
      .where('kind', '=', 'external')
      .executeTakeFirst();
    return Number(deleted.numDeletedRows) === 1;
  }

  /** Adds a link; false when the external account is already linked (the unique index says so). */
  async insertExternal(userId: string, identity: ProviderIdentity, now: number): Promise<boolean> {
    try {
      await this.db
        .insertInto('credentials')
        .values(externalRow(userId, identity, now))
        .execute();
      return true;
    } catch (error) {
      if (await this.findExternal(externalIdOf(identity))) return false;
      throw error;
    }
  }

  /**
   * A new account and its link in one transaction: nothing half-created if either insert fails
   * (the address taken, or the same provider account racing in twice).
   */
  async createUserWithExternal(
    user: UsersTable,
    identity: ProviderIdentity,
  ): Promise<'created' | 'email_taken' | 'already_linked'> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values(user).execute();
        await trx
          .insertInto('credentials')
          .values(externalRow(user.id, identity, user.created_at))
          .execute();
      });
      return 'created';
    } catch (error) {
      if (await this.findExternal(externalIdOf(identity))) return 'already_linked';
      const taken = await this.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', user.email)
        .executeTakeFirst();
      if (taken !== undefined) return 'email_taken';
      throw error;
    }
  }

  async markUsed(credentialId: string, now: number): Promise<void> {
    await this.db
      .updateTable('credentials')
      .set({ last_used_at: now })
      .where('id', '=', credentialId)
      .execute();
  }

  async recordSession(row: {
    sessionId: string;
    providerId: string;
    subject: string;
    providerSid: string | null;
    now: number;
  }): Promise<void> {
    await this.db
      .insertInto('federated_sessions')
      .values({
        session_id: row.sessionId,
        provider_id: row.providerId,
        subject: row.subject,
        provider_sid: row.providerSid,
        created_at: row.now,
      })
      .execute();
  }

  async savePending(row: {
    tokenHash: string;
    providerId: string;
    subject: string;
    providerSid: string | null;
    expiresAt: number;
  }): Promise<void> {
    await this.db
      .insertInto('federated_pending_sign_ins')
      .values({
        token_hash: row.tokenHash,
        provider_id: row.providerId,
        subject: row.subject,
        provider_sid: row.providerSid,
        expires_at: row.expiresAt,
      })
      .execute();
  }

  /** The provider session a completed pending sign-in came from, removed as it is read. */
  async takePending(tokenHash: string, now: number) {
    const row = await this.db
      .selectFrom('federated_pending_sign_ins')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    await this.db
      .deleteFrom('federated_pending_sign_ins')
      .where('token_hash', '=', tokenHash)
      .execute();
    return row;
  }

  findSession(sessionId: string) {
    return this.db
      .selectFrom('federated_sessions')
      .selectAll()
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
  }

  /**
   * The live Portcullis sessions a logout token names: by the provider's session id when it sent
   * one (that browser only), else every session of that subject from that provider.
   */
  async sessionsFor(
    providerId: string,
    match: { sid: string | undefined; subject: string | undefined },
  ): Promise<{ session_id: string; user_id: string }[]> {
    let query = this.db
      .selectFrom('federated_sessions')
      .innerJoin('sessions', 'sessions.id', 'federated_sessions.session_id')
      .select(['federated_sessions.session_id as session_id', 'sessions.user_id as user_id'])
      .where('federated_sessions.provider_id', '=', providerId)
      .where('sessions.revoked_at', 'is', null);
    if (match.sid !== undefined)
      query = query.where('federated_sessions.provider_sid', '=', match.sid);
    if (match.subject !== undefined)
      query = query.where('federated_sessions.subject', '=', match.subject);
    return query.execute();
  }

  /** Whether the session that started a link is still live (not revoked, not expired). */
  async sessionIsLive(sessionId: string, userId: string, now: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('sessions')
      .select('id')
      .where('id', '=', sessionId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row !== undefined;
  }
}

function externalRow(userId: string, identity: ProviderIdentity, now: number): CredentialsTable {
  return {
    id: newId(),
    user_id: userId,
    kind: 'external',
    // Nothing secret is held for an external account: the provider proves it at each sign-in.
    secret: '',
    secret_form: 'nfkc',
    label: identity.providerId,
    created_at: now,
    updated_at: now,
    last_used_at: now,
    counter: null,
    data: JSON.stringify({ email: identity.email ?? null }),
    external_id: externalIdOf(identity),
    confirmed_at: now,
  };
}
