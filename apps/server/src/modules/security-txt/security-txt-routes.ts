import type { FastifyInstance } from 'fastify';
import type { FeatureModule } from '../feature-module.js';

export const SECURITY_TXT_PATH = '/.well-known/security.txt';

/**
 * RFC 9116 §2.5.5 asks for an Expires less than a year ahead, so that a forgotten file stops being
 * trusted. 180 days from the moment it is served: the file is built from configuration, so it is
 * as current as the running server and never needs a manual refresh.
 */
const EXPIRES_AFTER_MS = 180 * 86_400_000;

/** The file's text: Contact lines first (§2.5.3, the one required field), each line CRLF-ended. */
export function securityTxt(options: {
  contacts: readonly string[];
  publicOrigin: string;
  now: Date;
}): string {
  const expires = new Date(options.now.getTime() + EXPIRES_AFTER_MS);
  // Whole seconds: RFC 9116 takes an RFC 3339 date-time, and some parsers reject fractions.
  const expiresText = `${expires.toISOString().slice(0, 19)}Z`;
  const lines = [
    ...options.contacts.map((contact) => `Contact: ${contact}`),
    `Expires: ${expiresText}`,
    'Preferred-Languages: en',
    // §2.5.2: a copy served elsewhere (a mirror, a proxy under another name) is recognisable.
    `Canonical: ${options.publicOrigin}${SECURITY_TXT_PATH}`,
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Served only when SECURITY_CONTACT is set: a file without a Contact would be invalid, and the
 * self-test then says which variable to set. API headers (no-store, `default-src 'none'`): it is
 * text for researchers and their tools, never a page.
 */
export function registerSecurityTxtRoute(
  app: FastifyInstance,
  options: { contacts: readonly string[]; publicOrigin: string },
): void {
  if (options.contacts.length === 0) return;
  app.get(SECURITY_TXT_PATH, { config: { access: 'public', surface: 'api' } }, (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(securityTxt({ ...options, now: new Date() })),
  );
}

export const securityTxtModule: FeatureModule = {
  name: 'security-txt',
  register(app, context) {
    registerSecurityTxtRoute(app, {
      contacts: context.config.securityContacts,
      publicOrigin: context.config.publicOrigin,
    });
  },
};
