import { pino, type Logger } from 'pino';
import type { AppConfig } from '../config.js';

/**
 * Secrets never reach the log: request logs are built field by field (no headers, no bodies), and
 * these paths are redacted as a second line of defence in case an error object carries them.
 */
export const redactedPaths = [
  // Explicit paths, not `*.password` wildcards: a wildcard makes the redactor walk every object on
  // every line, which showed up in the request path's profile. No code logs bodies or headers; these
  // catch the places an error object could carry them.
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  'headers["x-csrf-token"]',
  'body.password',
  'body.currentPassword',
  'body.newPassword',
  'err.body.password',
  'err.body.currentPassword',
  'err.body.newPassword',
  'password',
  'passwordHash',
  'password_hash',
  'accessToken',
  'refreshToken',
  'csrfToken',
];

export function createLogger(
  config: Pick<AppConfig, 'log'>,
  destination?: NodeJS.WritableStream,
): Logger {
  const options = {
    level: config.log.level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  if (destination !== undefined) return pino(options, destination);
  // Asynchronous, batched writes keep logging off the request's critical path; the batch is
  // flushed at least every second, so a quiet server's log is never minutes behind.
  const logger = pino(
    options,
    pino.destination({
      dest: config.log.file ?? 1,
      sync: false,
      mkdir: true,
      minLength: 4096,
      // A log file may hold addresses and account emails: owner-only, like the database.
      mode: 0o600,
    }),
  );
  setInterval(() => {
    logger.flush();
  }, 1000).unref();
  return logger;
}
