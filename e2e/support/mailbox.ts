import {
  SmtpTestServer,
  type ReceivedMail,
} from '../../apps/server/test/support/smtp-test-server.js';

/**
 * The inbox of every address in the run: a real SMTP server in the test process (the server
 * integration tests' own helper, smtp-server + mailparser), which the app under test reaches over
 * TCP through SMTP_URL exactly as it would reach a relay. Nothing about mail is mocked.
 */

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  /** Every http(s) link in the plain-text part, in order. */
  links: string[];
  /** The link to this path on the app (`/verify-email`), fragment included; throws if absent. */
  link: (path: string) => string;
}

const linkPattern = /https?:\/\/\S+/g;

function toMail(received: ReceivedMail): Mail {
  const text = received.parsed.text ?? '';
  const links = text.match(linkPattern) ?? [];
  return {
    to: received.envelope.to,
    subject: received.parsed.subject ?? '',
    text,
    links,
    link(path) {
      const found = links.find((link) => new URL(link).pathname === path);
      if (found === undefined) {
        throw new Error(`no link to ${path} in "${this.subject}": ${links.join(', ')}`);
      }
      return found;
    },
  };
}

/** Subjects of the messages the tests wait for, as the server's templates write them. */
export const subjects = {
  verifyEmail: 'Confirm your email address for Portcullis',
  alreadyRegistered: 'Someone tried to register with your address at Portcullis',
  passwordReset: 'Reset your Portcullis password',
  passwordChanged: 'Your Portcullis password was changed',
  emailChangeConfirm: 'Confirm your new email address for Portcullis',
  emailChangeNotice: 'The email address of your Portcullis account was changed',
} as const;

export class Mailbox {
  /** Messages already handed to a test: each is returned once, so "the next one" means it. */
  private readonly taken = new Set<ReceivedMail>();

  private constructor(private readonly smtp: SmtpTestServer) {}

  static async start(): Promise<Mailbox> {
    return new Mailbox(await SmtpTestServer.start());
  }

  get smtpUrl(): string {
    return `smtp://127.0.0.1:${String(this.smtp.port)}`;
  }

  /**
   * The next message to `to` that `matches` (by default, any), waiting for it to arrive: the app
   * queues mail and sends it a moment later.
   */
  async waitForMail(
    to: string,
    matches: (mail: Mail) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<Mail> {
    const recipient = to.toLowerCase();
    const received = await this.smtp.waitFor((candidate) => {
      if (this.taken.has(candidate)) return false;
      if (!candidate.envelope.to.some((address) => address.toLowerCase() === recipient)) {
        return false;
      }
      return matches(toMail(candidate));
    }, timeoutMs);
    this.taken.add(received);
    return toMail(received);
  }

  /** Everything `to` has received so far, taken or not. */
  received(to: string): Mail[] {
    const recipient = to.toLowerCase();
    return this.smtp.received
      .filter((mail) => mail.envelope.to.some((address) => address.toLowerCase() === recipient))
      .map(toMail);
  }

  stop(): Promise<void> {
    return this.smtp.stop();
  }
}

/** A matcher for `waitForMail`: the message with this subject. */
export function withSubject(subject: string): (mail: Mail) => boolean {
  return (mail) => mail.subject === subject;
}
