import { createServer } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/**
 * A real SMTP server in the test process (smtp-server, from the nodemailer project): the app
 * sends to it over TCP exactly as it would to a relay, and tests read what arrived, parsed by
 * mailparser. Nothing about the transport is mocked.
 */

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** Whether the message travelled over TLS (STARTTLS or implicit). */
  secure: boolean;
  /** The user the client authenticated as, if it did. */
  user: string | undefined;
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpTestServerOptions {
  /** Listen on this port (to bring a "crashed" server back where the app expects it); 0 picks one. */
  port?: number;
  /** Offer STARTTLS with this certificate; without it the server speaks plain SMTP only. */
  tls?: { key: string; cert: string };
  /** Require AUTH PLAIN/LOGIN with these credentials. */
  credentials?: { user: string; password: string };
  /** Recipients answered 550 at RCPT TO (a permanent refusal). */
  refuseRecipient?: (address: string) => boolean;
}

export class SmtpTestServer {
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
    /** Every message accepted so far, in arrival order. */
    readonly received: ReceivedMail[],
  ) {}

  static async start(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
    const received: ReceivedMail[] = [];
    const serverOptions: SMTPServerOptions = {
      secure: false,
      logger: false,
      // Closing waits for clients to leave; a pooled client that lingers is cut off quickly.
      closeTimeout: 500,
      disabledCommands: options.tls === undefined ? ['STARTTLS', 'AUTH'] : [],
      ...(options.tls === undefined ? {} : { key: options.tls.key, cert: options.tls.cert }),
      authOptional: options.credentials === undefined,
      onAuth(auth, _session, callback) {
        const expected = options.credentials;
        if (
          expected !== undefined &&
          auth.username === expected.user &&
          auth.password === expected.password
        ) {
          callback(null, { user: auth.username });
          return;
        }
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo(address, _session, callback) {
        if (options.refuseRecipient?.(address.address) === true) {
          callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw).then(
            (parsed) => {
              const from = session.envelope.mailFrom;
              received.push({
                envelope: {
                  from: from === false ? '' : from.address,
                  to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
                },
                secure: session.secure,
                user: typeof session.user === 'string' ? session.user : undefined,
                raw,
                parsed,
              });
              callback();
            },
            (error: unknown) => {
              callback(error as Error);
            },
          );
        });
      },
    };
    const server = new SMTPServer(serverOptions);
    server.on('error', () => undefined);
    const port = await new Promise<number>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        const address = server.server.address();
        if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
        else resolve(address.port);
      });
    });
    return new SmtpTestServer(server, port, received);
  }

  /** Resolves with the first received message matching `predicate`, polling up to `timeoutMs`. */
  async waitFor(
    predicate: (mail: ReceivedMail) => boolean,
    timeoutMs = 5_000,
  ): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error('expected mail was not received in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

/** A loopback port nothing listens on (now): where a mail server that is down would be. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** Polls `read` until `accept` holds, up to `timeoutMs`; for states the app reaches on its own. */
export async function waitUntil<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error('expected state was not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
