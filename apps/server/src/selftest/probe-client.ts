import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type SecureVersion } from 'node:tls';
import type { SelftestOptions } from './selftest-types.js';

export interface ProbeReply {
  status: number;
  headers: IncomingHttpHeaders;
  /** At most `MAX_BODY_BYTES`: a hostile or broken server cannot make the self-test buffer more. */
  body: string;
}

export interface ProbeRequest {
  method?: string;
  /**
   * The request target, sent byte for byte (`//x`, `/./x` and absolute-form targets reach the
   * server as written; a URL object would normalise them away).
   */
  target?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** To the plain-HTTP port instead of HTTPS. */
  plain?: boolean;
}

export type HandshakeResult =
  | {
      ok: true;
      protocol: string;
      cipher: string;
      certificate: PeerCertificate;
      authorized: boolean;
      authorizationError: string | undefined;
    }
  | { ok: false; reason: string };

const MAX_BODY_BYTES = 256 * 1024;

/**
 * Every request of the self-test: a fresh connection each (no keep-alive, so each answer is the
 * server's to that request alone), certificate verified unless `--insecure`, bounded in time and
 * size.
 */
export class ProbeClient {
  private readonly host: string;
  private readonly port: number;
  private readonly servername: string | undefined;

  constructor(private readonly options: SelftestOptions) {
    this.host = options.url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(options.url.port || 443);
    // SNI carries host names only (RFC 6066 §3).
    this.servername = isIP(this.host) === 0 ? this.host : undefined;
  }

  get origin(): string {
    return this.options.url.origin;
  }

  request(probe: ProbeRequest = {}): Promise<ProbeReply> {
    const plain = probe.plain === true;
    if (plain && this.options.httpPort === undefined) {
      return Promise.reject(new Error('no plain-HTTP port to probe'));
    }
    const send = plain ? httpRequest : httpsRequest;
    const method = probe.method ?? 'GET';
    return new Promise((resolve, reject) => {
      const req = send(
        {
          host: this.host,
          port: plain ? this.options.httpPort : this.port,
          method,
          path: probe.target ?? '/',
          headers: { 'user-agent': 'portcullis-selftest', ...probe.headers },
          agent: false,
          timeout: this.options.timeoutMs,
          ...(plain
            ? {}
            : {
                servername: this.servername,
                rejectUnauthorized: !this.options.insecure,
                ...(this.options.ca === undefined ? {} : { ca: this.options.ca }),
              }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size >= MAX_BODY_BYTES) return;
            chunks.push(chunk);
            size += chunk.length;
          });
          res.on('error', reject);
          res.on('end', () => {
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8'),
            });
          });
        },
      );
      // `timeout` above is for an idle socket; this bounds the whole exchange.
      const timer = setTimeout(() => {
        req.destroy(
          new Error(`${method} ${probe.target ?? '/'}: no answer in ${this.options.timeoutMs} ms`),
        );
      }, this.options.timeoutMs);
      req.on('timeout', () => req.destroy(new Error('connection idle too long')));
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(probe.body);
    });
  }

  /**
   * One TLS handshake with the given limits, nothing sent after it. Verification is left to
   * the caller (`authorized`): a capability probe asks what the server accepts, not whom it is.
   */
  handshake(limits: {
    minVersion?: SecureVersion;
    maxVersion?: SecureVersion;
    ciphers?: string;
  }): Promise<HandshakeResult> {
    return new Promise((resolve) => {
      const socket = tlsConnect({
        host: this.host,
        port: this.port,
        ...(this.servername === undefined ? {} : { servername: this.servername }),
        rejectUnauthorized: false,
        ...(this.options.ca === undefined ? {} : { ca: this.options.ca }),
        ...limits,
      });
      const finish = (result: HandshakeResult) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      const timer = setTimeout(() => {
        finish({ ok: false, reason: 'no handshake in time' });
      }, this.options.timeoutMs);
      socket.once('secureConnect', () => {
        finish({
          ok: true,
          protocol: socket.getProtocol() ?? 'unknown',
          cipher: socket.getCipher().standardName,
          certificate: socket.getPeerCertificate(),
          authorized: socket.authorized,
          authorizationError: socket.authorized ? undefined : String(socket.authorizationError),
        });
      });
      socket.once('error', (error: Error) => {
        finish({ ok: false, reason: error.message });
      });
    });
  }
}

/** Every value of a header as one list (Set-Cookie is already one; others may be joined). */
export function headerValues(headers: IncomingHttpHeaders, name: string): string[] {
  const value = headers[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The error envelope's code, or undefined when the body is not the envelope. */
export function errorCodeOf(reply: ProbeReply): string | undefined {
  try {
    const parsed = JSON.parse(reply.body) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}
