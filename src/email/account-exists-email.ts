import { html } from '#src/lib/html.ts';
import type { EmailMessage } from './email-sender.ts';

export interface AccountExistsEmailInput {
  readonly to: string;
  readonly username: string;
  /** Built from SITE_URL by the caller, never from a request's Host header. */
  readonly loginUrl: string;
  readonly resetUrl: string;
}

/**
 * Sent to an address's owner when someone signs up with it: the sign-up page answers as if it
 * worked (so it tells nobody the address has an account), and this tells the one person who may
 * know. As plain text and as escaped HTML carrying the same words.
 */
export function accountExistsEmail(input: AccountExistsEmailInput): EmailMessage {
  const text = [
    `Hello ${input.username},`,
    '',
    'Someone (perhaps you) tried to create a Hoplink account with this email address. You already',
    `have one, with the username ${input.username}, so nothing was created or changed.`,
    '',
    'To log in:',
    input.loginUrl,
    '',
    'Forgot your password? Choose a new one here:',
    input.resetUrl,
    '',
    'If it was not you, ignore this email: your account and password stay as they are.',
    '',
  ].join('\n');
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>You already have a Hoplink account</title>
      </head>
      <body>
        <p>Hello ${input.username},</p>
        <p>
          Someone (perhaps you) tried to create a Hoplink account with this email address. You
          already have one, with the username <strong>${input.username}</strong>, so nothing was
          created or changed.
        </p>
        <p>To log in: <a href="${input.loginUrl}">${input.loginUrl}</a></p>
        <p>
          Forgot your password? Choose a new one here:
          <a href="${input.resetUrl}">${input.resetUrl}</a>
        </p>
        <p>If it was not you, ignore this email: your account and password stay as they are.</p>
      </body>
    </html> `;
  return { to: input.to, subject: 'You already have a Hoplink account', text, html: body.value };
}
