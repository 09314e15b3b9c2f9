import type { MailKind } from '@portcullis/contract/mail';

/**
 * Every message the server sends, in one place. Each kind takes typed data and renders a subject,
 * a plain-text part and an HTML part from the same blocks, so the two parts cannot say different
 * things. Every interpolated value is HTML-escaped (a user's device string or a masked address
 * must not inject markup), and links must be absolute http(s) URLs built by the caller from
 * PUBLIC_ORIGIN, never from a request's Host header (which would let an attacker point a reset
 * link at their own server).
 */

export const PRODUCT_NAME = 'Portcullis';

/** Where and how a request came from, shown in security notices so the owner can recognise it. */
interface RequestFacts {
  when: Date;
  ip: string;
  /** A short description of the browser and system, e.g. "Firefox on Linux", or the User-Agent. */
  device: string;
}

export interface MailData {
  'verify-email': { link: string };
  'already-registered': { signInLink: string; resetLink: string };
  'password-reset': { link: string; expiresInMinutes: number };
  'password-changed': RequestFacts & { resetLink: string };
  'email-change-confirm': { link: string };
  'email-change-notice': { newEmailMasked: string; undoLink: string; undoHours: number };
  'new-device-sign-in': RequestFacts & { notMeLink: string };
  'account-locked': { until: Date; resetLink: string };
  invitation: { link: string; invitedBy: string; expiresInDays: number };
  'account-deleted': { when: Date };
  'recovery-code-used': RequestFacts & { remaining: number; securityLink: string };
  'factors-reset': { when: Date; securityLink: string };
}

/** A message to send: its kind and that kind's data (checked together by the compiler). */
export type MailMessage = { [K in MailKind]: { kind: K; data: MailData[K] } }[MailKind];

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

type Block =
  | { paragraph: string }
  | { link: { label: string; href: string } }
  | { facts: [label: string, value: string][] };

const templates: { [K in MailKind]: (data: MailData[K]) => { subject: string; blocks: Block[] } } =
  {
    'verify-email': (data) => ({
      subject: `Confirm your email address for ${PRODUCT_NAME}`,
      blocks: [
        { paragraph: `Welcome to ${PRODUCT_NAME}. Confirm that this is your email address:` },
        { link: { label: 'Confirm email address', href: data.link } },
        {
          paragraph:
            'If you did not create an account, ignore this message: nothing happens without the confirmation.',
        },
      ],
    }),
    invitation: (data) => ({
      subject: `You are invited to ${PRODUCT_NAME}`,
      blocks: [
        {
          paragraph: `${oneLine(data.invitedBy, 254)} created an account for you on ${PRODUCT_NAME}. Choose your password to start:`,
        },
        { link: { label: 'Choose a password', href: data.link } },
        {
          paragraph: `The link works once and for ${data.expiresInDays} days. If you did not expect this, ignore this message.`,
        },
      ],
    }),
    'account-deleted': (data) => ({
      subject: `Your ${PRODUCT_NAME} account was deleted`,
      blocks: [
        {
          paragraph: `Your ${PRODUCT_NAME} account and its notes were deleted on ${formatTime(data.when)}. Every session has ended.`,
        },
        {
          paragraph:
            'The security log keeps a record that an account was deleted, without your address or name. If you did not do this, contact the operator of this site.',
        },
      ],
    }),
    'recovery-code-used': (data) => ({
      subject: `A recovery code was used on your ${PRODUCT_NAME} account`,
      blocks: [
        {
          paragraph: `Someone signed in to your ${PRODUCT_NAME} account with one of its recovery codes. ${data.remaining} code(s) remain.`,
        },
        { facts: requestFacts(data) },
        {
          paragraph:
            'If this was not you, your password and that code are known to someone else: change the password and generate new codes now.',
        },
        { link: { label: 'Review your security settings', href: data.securityLink } },
      ],
    }),
    'factors-reset': (data) => ({
      subject: `Your ${PRODUCT_NAME} second factors were reset`,
      blocks: [
        {
          paragraph: `An administrator removed the authenticator app, passkeys and recovery codes from your ${PRODUCT_NAME} account on ${formatTime(data.when)}. You sign in with your password alone until you set up a new second factor.`,
        },
        { link: { label: 'Set up a second factor', href: data.securityLink } },
      ],
    }),
    'already-registered': (data) => ({
      subject: `Someone tried to register with your address at ${PRODUCT_NAME}`,
      blocks: [
        {
          paragraph: `Someone, perhaps you, tried to create a ${PRODUCT_NAME} account with this email address. It already has an account, so no second one was created.`,
        },
        { paragraph: 'If it was you, sign in:' },
        { link: { label: 'Sign in', href: data.signInLink } },
        { paragraph: 'Forgot your password? Choose a new one:' },
        { link: { label: 'Reset your password', href: data.resetLink } },
        { paragraph: 'If it was not you, ignore this message: your account has not changed.' },
      ],
    }),
    'password-reset': (data) => ({
      subject: `Reset your ${PRODUCT_NAME} password`,
      blocks: [
        {
          paragraph: `Someone, hopefully you, asked to reset the password of your ${PRODUCT_NAME} account. Choose a new password here:`,
        },
        { link: { label: 'Choose a new password', href: data.link } },
        {
          paragraph: `The link works once and expires in ${String(data.expiresInMinutes)} minutes. If you did not ask for it, ignore this message: your password stays as it is.`,
        },
      ],
    }),
    'password-changed': (data) => ({
      subject: `Your ${PRODUCT_NAME} password was changed`,
      blocks: [
        { paragraph: `The password of your ${PRODUCT_NAME} account was changed.` },
        { facts: requestFacts(data) },
        {
          paragraph:
            'If this was you, there is nothing more to do. If it was not, reset your password now; that signs out every device:',
        },
        { link: { label: 'Reset your password', href: data.resetLink } },
      ],
    }),
    'email-change-confirm': (data) => ({
      subject: `Confirm your new email address for ${PRODUCT_NAME}`,
      blocks: [
        {
          paragraph: `Someone asked to use this address for a ${PRODUCT_NAME} account. Confirm the change here:`,
        },
        { link: { label: 'Confirm the new address', href: data.link } },
        {
          paragraph:
            'If you did not ask for this, ignore this message: the account keeps its current address.',
        },
      ],
    }),
    'email-change-notice': (data) => ({
      subject: `The email address of your ${PRODUCT_NAME} account was changed`,
      blocks: [
        {
          paragraph: `The email address of your ${PRODUCT_NAME} account was changed to ${oneLine(data.newEmailMasked, 254)}. Messages about your account now go there.`,
        },
        {
          paragraph: `If you did not do this, undo it within ${String(data.undoHours)} hours: that restores this address and signs out every device.`,
        },
        { link: { label: 'Undo the change', href: data.undoLink } },
      ],
    }),
    'new-device-sign-in': (data) => ({
      subject: `New sign-in to your ${PRODUCT_NAME} account`,
      blocks: [
        {
          paragraph: `Your ${PRODUCT_NAME} account was signed in to from a device it has not seen before.`,
        },
        { facts: requestFacts(data) },
        {
          paragraph:
            'If this was you, there is nothing more to do. If it was not, sign out every device and reset your password:',
        },
        { link: { label: 'This was not me', href: data.notMeLink } },
      ],
    }),
    'account-locked': (data) => ({
      subject: `Signing in to your ${PRODUCT_NAME} account is paused`,
      blocks: [
        {
          paragraph: `After too many failed attempts, signing in to your ${PRODUCT_NAME} account is paused until ${formatTime(data.until)}.`,
        },
        {
          paragraph:
            'If the attempts were not yours, someone may be guessing your password. Choosing a new one ends the pause:',
        },
        { link: { label: 'Reset your password', href: data.resetLink } },
      ],
    }),
  };

/** Renders `message` into its subject and both parts; throws on a link that is not absolute http(s). */
export function renderMail(message: MailMessage): RenderedMail {
  // The mapped type pairs each kind with its data; TypeScript cannot follow that through an index.
  const render = templates[message.kind] as (data: MailMessage['data']) => {
    subject: string;
    blocks: Block[];
  };
  const rendered = render(message.data);
  const blocks = rendered.blocks.map((block) =>
    'link' in block ? { link: { ...block.link, href: absoluteLink(block.link.href) } } : block,
  );
  return {
    subject: rendered.subject,
    text: renderText(blocks),
    html: renderHtml(rendered.subject, blocks),
  };
}

const FOOTER = `This message was sent automatically by ${PRODUCT_NAME}; replies are not read.`;

function renderText(blocks: Block[]): string {
  const parts = blocks.map((block) => {
    if ('paragraph' in block) return block.paragraph;
    if ('link' in block) return `${block.link.label}:\n${block.link.href}`;
    return block.facts.map(([label, value]) => `${label}: ${value}`).join('\n');
  });
  return `${[...parts, `-- \n${FOOTER}`].join('\n\n')}\n`;
}

/** Inline styles only (mail clients drop style sheets), no remote images (they track opening). */
function renderHtml(subject: string, blocks: Block[]): string {
  const body = blocks
    .map((block) => {
      if ('paragraph' in block)
        return `<p style="margin:0 0 16px">${escapeHtml(block.paragraph)}</p>`;
      if ('link' in block) {
        const href = escapeHtml(block.link.href);
        return (
          `<p style="margin:0 0 8px"><a href="${href}" style="display:inline-block;padding:10px 16px;` +
          `background:#1d4ed8;color:#ffffff;text-decoration:none;border-radius:6px">` +
          `${escapeHtml(block.link.label)}</a></p>\n` +
          `<p style="margin:0 0 16px;font-size:13px;color:#555555;word-break:break-all">` +
          `Or open: <a href="${href}" style="color:#1d4ed8">${href}</a></p>`
        );
      }
      const rows = block.facts
        .map(
          ([label, value]) =>
            `<tr><th scope="row" style="text-align:left;padding:2px 12px 2px 0">${escapeHtml(label)}</th>` +
            `<td style="padding:2px 0">${escapeHtml(value)}</td></tr>`,
        )
        .join('\n');
      return `<table role="presentation" style="margin:0 0 16px;border-collapse:collapse">\n${rows}\n</table>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(subject)}</title>
</head>
<body style="margin:0;padding:24px;background:#f4f4f5;color:#18181b;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;font-size:16px;line-height:1.5">
<div style="max-width:560px;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px">
<p style="margin:0 0 16px;font-size:18px;font-weight:bold">${escapeHtml(PRODUCT_NAME)}</p>
${body}
<p style="margin:24px 0 0;font-size:12px;color:#71717a">${escapeHtml(FOOTER)}</p>
</div>
</body>
</html>
`;
}

function requestFacts(data: RequestFacts): [string, string][] {
  return [
    ['When', formatTime(data.when)],
    ['IP address', oneLine(data.ip, 64)],
    ['Device', oneLine(data.device, 160)],
  ];
}

/** UTC and unambiguous in every locale: `2025-01-31 14:05 UTC`. */
function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A request's own text (its User-Agent) shown on one short line: no line breaks to forge lines with. */
function oneLine(value: string, maxLength: number): string {
  // eslint-disable-next-line no-control-regex -- replacing control characters is the point
  const cleaned = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength - 1)}…` : cleaned || 'unknown';
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Only absolute http(s) links leave in mail: a relative link means nothing in a mail client, and
 * another scheme (javascript:, data:) would run or show content the product did not write.
 * Plain http is accepted for localhost only, where the development server may listen.
 */
function absoluteLink(href: string): string {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    throw new Error('a mail link must be an absolute URL');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error('a mail link must be an https URL');
  }
  return url.href;
}
