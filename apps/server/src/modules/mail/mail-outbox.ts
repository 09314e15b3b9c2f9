import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MailConfig } from '../../config.js';
import { escapeForTerminal } from '../../lib/terminal-text.js';
import {
  commonHeaders,
  MailSendError,
  messageId,
  shortLine,
  type MailTransport,
} from './mail-transport.js';

/**
 * The development outbox: with no SMTP_URL on a localhost origin, each message is written as a
 * JSON file under `<DATA_DIR>/outbox/` and announced on stderr with its link, so every flow
 * (verify, reset, email change) works after `npm start` with nothing to set up. `npm run cli --
 * mail list` reads the same files through `listOutbox`.
 */

/** The outbox directory under a data directory (config.ts puts the same path in `mail.transport`). */
export function outboxDir(dataDir: string): string {
  return path.join(dataDir, 'outbox');
}

/** One file in the outbox. */
export interface OutboxFile {
  version: 1;
  id: string;
  messageId: string;
  /** ISO 8601: when the message was queued. */
  date: string;
  from: string;
  to: string;
  subject: string;
  headers: Record<string, string>;
  /** Every http(s) link in the message, in order: the first is the one to follow. */
  links: string[];
  text: string;
  html: string;
}

export interface OutboxMessage {
  /** The file's absolute path. */
  file: string;
  id: string;
  to: string;
  subject: string;
  date: string;
  links: string[];
}

export function createOutboxTransport(options: {
  dir: string;
  from: MailConfig['from'];
  notice: (line: string) => void;
}): MailTransport {
  const from =
    options.from.name === ''
      ? options.from.address
      : `"${options.from.name}" <${options.from.address}>`;
  return {
    kind: 'outbox',
    async send(mail) {
      const links = linksIn(mail.text);
      const file: OutboxFile = {
        version: 1,
        id: mail.id,
        messageId: messageId(mail.id, options.from),
        date: mail.date.toISOString(),
        from,
        to: mail.to,
        subject: mail.subject,
        headers: commonHeaders(),
        links,
        text: mail.text,
        html: mail.html,
      };
      const stamp = file.date.replace(/[:.]/g, '-');
      const target = path.join(options.dir, `${stamp}-${mail.id}.json`);
      try {
        // Owner-only like everything under the data directory: the files hold one-time links.
        await mkdir(options.dir, { recursive: true, mode: 0o700 });
        await writeFile(target, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
        // A file left by an interrupted earlier attempt keeps its mode; make sure of it.
        await chmod(target, 0o600);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        throw new MailSendError(
          shortLine(`${typeof code === 'string' ? code : 'ERROR'}: outbox not writable`),
          false,
          {
            cause: error,
          },
        );
      }
      // The address came from a user: escaped, so it cannot write terminal control sequences.
      options.notice(
        `portcullis: mail to ${escapeForTerminal(mail.to)}: ${escapeForTerminal(links[0] ?? mail.subject)}`,
      );
    },
    close: () => Promise.resolve(),
  };
}

/** The messages in `<dataDir>/outbox`, newest first; unreadable or foreign files are skipped. */
export async function listOutbox(dataDir: string): Promise<OutboxMessage[]> {
  const dir = outboxDir(dataDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return [];
    throw error;
  }
  const messages: OutboxMessage[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.json'))) {
    const file = path.join(dir, name);
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<OutboxFile>;
      if (
        parsed.version !== 1 ||
        typeof parsed.id !== 'string' ||
        typeof parsed.to !== 'string' ||
        typeof parsed.subject !== 'string' ||
        typeof parsed.date !== 'string' ||
        !Array.isArray(parsed.links)
      ) {
        continue;
      }
      messages.push({
        file,
        id: parsed.id,
        to: parsed.to,
        subject: parsed.subject,
        date: parsed.date,
        links: parsed.links.filter((link): link is string => typeof link === 'string'),
      });
    } catch {
      continue;
    }
  }
  return messages.sort((a, b) => b.date.localeCompare(a.date) || b.file.localeCompare(a.file));
}

function linksIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((match) => match[0]);
}
