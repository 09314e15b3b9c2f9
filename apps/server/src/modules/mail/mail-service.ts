import type { FastifyBaseLogger } from 'fastify';
import type { AdminMailItem, AdminMailQuery } from '@portcullis/contract/mail';
import type { Db } from '../../db/database.js';
import { newId, sha256 } from '../../lib/random.js';
import type { MailOutboxRow, MailRepository } from './mail-repository.js';
import { renderMail, type MailMessage } from './mail-templates.js';
import { MailSendError, shortLine, type MailTransport } from './mail-transport.js';

/** How long sent and failed mail stays in the outbox (see `deleteExpired`). */
export const FINISHED_MAIL_RETENTION_MS = 7 * 86_400_000;

export interface EnqueueMail {
  /** One address, already validated and normalised by the caller. */
  to: string;
  message: MailMessage;
  /**
   * Names the one message this is, e.g. `password-reset:<token id>`: a second enqueue with the same
   * key does nothing, so one token is never mailed twice (a retried request, a double click).
   * Stored only as a SHA-256, so a key that contains a secret does not put it in the database.
   */
  dedupeKey: string;
}

export interface RetryPolicy {
  /** Delay before the second attempt; it doubles for each attempt after that. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts in all, the first included; after the last failure the message is `failed`. */
  maxAttempts: number;
}

/** 5 s, 10 s, 20 s … capped at 1 h; ten attempts span about 45 minutes of outage. */
export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  baseDelayMs: 5_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 10,
});

/** The delay before the next attempt after `attempts` failed ones, or null to give up. */
export function retryDelayMs(
  attempts: number,
  policy: RetryPolicy = defaultRetryPolicy,
): number | null {
  if (attempts >= policy.maxAttempts) return null;
  return Math.min(policy.baseDelayMs * 2 ** Math.max(0, attempts - 1), policy.maxDelayMs);
}

/**
 * How long a claimed row belongs to the instance that claimed it. It outlasts any one send (the
 * SMTP timeouts add up to well under a minute); after it a row left `sending` by an instance that
 * died mid-send is taken up again, so a crash delays a message and never loses it.
 */
const CLAIM_MS = 5 * 60_000;
const BATCH_SIZE = 20;

/** Anything that could end the address or start another: separators, quotes, controls. */
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const addressPart = /^[^\s@<>()[\]\\,;:"\u0000-\u001f\u007f]+$/;

function isSinglePlainAddress(address: string): boolean {
  const at = address.lastIndexOf('@');
  return (
    address.length <= 254 &&
    at > 0 &&
    addressPart.test(address.slice(0, at)) &&
    addressPart.test(address.slice(at + 1))
  );
}

/**
 * The durable mail queue and its worker. `enqueue` renders the message and stores it in
 * `mail_outbox`; the worker sends due rows one at a time, retrying with exponential backoff. It is
 * woken by `enqueue` and otherwise polls, so rows queued by another instance (or left by one that
 * stopped) are picked up within a poll interval.
 */
export class MailService {
  private readonly repository: MailRepository;
  private readonly transport: MailTransport;
  private readonly log: FastifyBaseLogger;
  private readonly pollIntervalMs: number;
  private readonly retry: RetryPolicy;
  private readonly now: () => number;

  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private timer: NodeJS.Timeout | undefined;
  private active: Promise<void> | undefined;
  /** Set by a wake-up that arrived while the worker was busy: look again before sleeping. */
  private wokenWhileBusy = false;

  constructor(deps: {
    repository: MailRepository;
    transport: MailTransport;
    log: FastifyBaseLogger;
    pollIntervalMs?: number;
    retry?: RetryPolicy;
    now?: () => number;
  }) {
    this.repository = deps.repository;
    this.transport = deps.transport;
    this.log = deps.log;
    this.pollIntervalMs = deps.pollIntervalMs ?? 1_000;
    this.retry = deps.retry ?? defaultRetryPolicy;
    this.now = deps.now ?? Date.now;
  }

  /** `outbox` when messages are written to the data directory instead of sent (development). */
  get transportKind(): MailTransport['kind'] {
    return this.transport.kind;
  }

  /**
   * Queues one message; `queued` is false when its dedupe key was queued before (nothing new is
   * stored or sent). Pass `executor` to queue inside the caller's transaction, so the message
   * exists exactly when the token it carries does.
   */
  async enqueue(
    mail: EnqueueMail,
    options: { executor?: Db } = {},
  ): Promise<{ id: string; queued: boolean }> {
    // A comma or a line break here would add a recipient or a header: one plain address only.
    if (!isSinglePlainAddress(mail.to)) {
      throw new Error('mail recipient must be a single plain address');
    }
    const rendered = renderMail(mail.message);
    const now = this.now();
    const dedupeKey = sha256(`mail:${mail.dedupeKey}`);
    const row: MailOutboxRow = {
      id: newId(),
      dedupe_key: dedupeKey,
      recipient: mail.to,
      kind: mail.message.kind,
      subject: rendered.subject,
      text_body: rendered.text,
      html_body: rendered.html,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      last_error: null,
      created_at: now,
      sent_at: null,
    };
    const queued = await this.repository.insertOnce(row, options.executor);
    if (!queued) {
      const existing = await this.repository.findIdByDedupeKey(dedupeKey, options.executor);
      return { id: existing ?? row.id, queued: false };
    }
    this.wake();
    return { id: row.id, queued: true };
  }

  /** The queue for the admin page, newest first; never the bodies, which hold one-time links. */
  async listForAdmin(query: AdminMailQuery): Promise<AdminMailItem[]> {
    const statuses: MailOutboxRow['status'][] | undefined =
      query.status === 'all'
        ? undefined
        : query.status === 'pending'
          ? ['pending', 'sending']
          : ['failed'];
    const rows = await this.repository.list(statuses, query.limit);
    return rows.map((row) => ({
      id: row.id,
      recipient: row.recipient,
      kind: row.kind,
      subject: row.subject,
      status: row.status,
      attempts: row.attempts,
      lastError: row.last_error,
      createdAt: new Date(row.created_at).toISOString(),
      nextAttemptAt:
        row.next_attempt_at === null ? null : new Date(row.next_attempt_at).toISOString(),
      sentAt: row.sent_at === null ? null : new Date(row.sent_at).toISOString(),
    }));
  }

  /**
   * Housekeeping: sent and failed mail older than a week goes. A finished row keeps the address
   * and subject (its body is gone once sent); the admin's queue view needs only the recent past,
   * so keeping them longer would only keep personal data. Pending mail stays whatever its age.
   */
  deleteExpired(now: number): Promise<number> {
    return this.repository.deleteFinishedBefore(now - FINISHED_MAIL_RETENTION_MS);
  }

  /** Starts the worker; it looks at the queue at once (rows left by a previous run go out first). */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.schedule(0);
  }

  /** Looks at the queue now rather than at the next poll. */
  wake(): void {
    if (this.state !== 'running') return;
    if (this.active !== undefined) {
      this.wokenWhileBusy = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops polling and waits for the send in flight, if any; rows not reached stay queued. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.active;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wokenWhileBusy = false;
      this.active = this.drain().finally(() => {
        this.active = undefined;
        if (this.state === 'running') this.schedule(this.wokenWhileBusy ? 0 : this.pollIntervalMs);
      });
    }, delayMs);
    // The queue never keeps the process alive by itself.
    this.timer.unref();
  }

  /** Sends due rows until none is left that this instance could claim. */
  private async drain(): Promise<void> {
    try {
      for (;;) {
        const due = await this.repository.findDue(this.now(), BATCH_SIZE);
        let claimedAny = false;
        for (const candidate of due) {
          if (this.state !== 'running') return;
          const row = await this.repository.claim(candidate, this.now() + CLAIM_MS);
          if (row === undefined) continue;
          claimedAny = true;
          await this.deliver(row);
        }
        // Nothing due, or every due row was taken by another instance meanwhile.
        if (!claimedAny) return;
      }
    } catch (error) {
      // The database is down or the row could not be updated: the next poll tries again.
      this.log.warn({ err: error }, 'mail queue unavailable');
    }
  }

  private async deliver(row: MailOutboxRow): Promise<void> {
    const log = { mailId: row.id, kind: row.kind, attempts: row.attempts };
    try {
      if (row.text_body === null || row.html_body === null) {
        throw new MailSendError('message has no body', true);
      }
      await this.transport.send({
        id: row.id,
        to: row.recipient,
        subject: row.subject,
        text: row.text_body,
        html: row.html_body,
        date: new Date(row.created_at),
      });
    } catch (error) {
      const failure =
        error instanceof MailSendError
          ? error
          : new MailSendError(shortLine(String(error)), false, { cause: error });
      const delay = failure.permanent ? null : retryDelayMs(row.attempts, this.retry);
      if (delay === null) {
        await this.repository.markFailed(row.id, failure.summary);
        this.log.error({ ...log, reason: failure.summary }, 'mail not sent: given up');
      } else {
        await this.repository.markRetry(row.id, this.now() + delay, failure.summary);
        this.log.warn({ ...log, reason: failure.summary, retryInMs: delay }, 'mail not sent yet');
      }
      return;
    }
    await this.repository.markSent(row.id, this.now());
    this.log.info(log, 'mail sent');
  }
}
