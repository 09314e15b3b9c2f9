import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import nodemailer from 'nodemailer';
import { ConfigError, type MailConfig } from '../../config.js';

/** One rendered message leaving the queue. */
export interface OutgoingMail {
  /** The queue row's id: also the Message-ID's left part, so a resend is recognisably the same. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** When the message was queued: the Date header says when it was written, not when it left. */
  date: Date;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  /** Resolves once the mail server accepted the message; rejects with a MailSendError. */
  send(mail: OutgoingMail): Promise<void>;
  close(): Promise<void>;
}

/**
 * A send that did not happen. `summary` is short and safe to store and show to admins (the SMTP
 * reply or the network error, never the SMTP password); `permanent` means retrying cannot help.
 */
export class MailSendError extends Error {
  constructor(
    readonly summary: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(summary, options);
    this.name = 'MailSendError';
  }
}

/** Headers every message carries, whichever way it leaves. */
export function commonHeaders(): Record<string, string> {
  return {
    // RFC 3834: an automatic message; vacation responders and similar must not answer it.
    'Auto-Submitted': 'auto-generated',
    'X-Auto-Response-Suppress': 'All',
  };
}

export function messageId(id: string, from: MailConfig['from']): string {
  return `<${id}@${from.address.slice(from.address.lastIndexOf('@') + 1)}>`;
}

/** SMTP through a small pool of connections, with TLS and timeouts from the configuration. */
export function createSmtpTransport(
  from: MailConfig['from'],
  config: Extract<MailConfig['transport'], { kind: 'smtp' }>,
): MailTransport {
  const url = new URL(config.url);
  const password = decodeURIComponent(url.password);
  let ca: string[] | undefined;
  if (config.tlsCaFile !== undefined) {
    try {
      // `ca` replaces Node's trusted roots; keep them, so a public relay still verifies.
      ca = [...rootCertificates, readFileSync(config.tlsCaFile, 'utf8')];
    } catch {
      throw new ConfigError('SMTP_TLS_CA_FILE', 'cannot be read');
    }
  }
  const transporter = nodemailer.createTransport({
    pool: true,
    maxConnections: 2,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    // Unset: 465 for smtps://, 587 (submission) for smtp://.
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    secure: url.protocol === 'smtps:',
    requireTLS: config.requireTls,
    ...(url.username === ''
      ? {}
      : { auth: { user: decodeURIComponent(url.username), pass: password } }),
    // Certificates are always verified: a relay that cannot prove its name could read every link.
    tls: { minVersion: 'TLSv1.2', rejectUnauthorized: true, ...(ca === undefined ? {} : { ca }) },
    // A dead or stalling server must fail the attempt quickly (it is retried), never hang the queue.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    dnsTimeout: 10_000,
    // Message content is our own text; nothing in it may make nodemailer read a file or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });
  return {
    kind: 'smtp',
    async send(mail) {
      try {
        await transporter.sendMail({
          from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          date: mail.date,
          messageId: messageId(mail.id, from),
          headers: commonHeaders(),
        });
      } catch (error) {
        throw toMailSendError(error, password);
      }
    },
    close() {
      transporter.close();
      return Promise.resolve();
    },
  };
}

/**
 * SMTP replies 5xx to RCPT TO or to the message itself are about this message (no such mailbox,
 * content refused): permanent. Anything else (the server unreachable, a 4xx, an authentication
 * or TLS problem the operator can fix) is retried.
 */
function toMailSendError(error: unknown, password: string): MailSendError {
  const details = (typeof error === 'object' && error !== null ? error : {}) as Record<
    string,
    unknown
  >;
  const code = typeof details.code === 'string' ? details.code : 'ERROR';
  const command = typeof details.command === 'string' ? details.command : undefined;
  const reason =
    typeof details.response === 'string'
      ? details.response
      : error instanceof Error
        ? error.message
        : String(error);
  const permanent = details.permanent === true && (command === 'RCPT TO' || command === 'DATA');
  let summary = `${code}${command === undefined ? '' : ` (${command})`}: ${reason}`;
  if (password !== '') summary = summary.split(password).join('[redacted]');
  return new MailSendError(shortLine(summary), permanent, { cause: error });
}

/** One line of at most 200 characters: stored in the queue and shown in the admin's table. */
export function shortLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- line breaks and controls are what is removed
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
