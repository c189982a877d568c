import { html } from '#src/lib/html.ts';
import type { EmailMessage } from './email-sender.ts';

export interface PasswordResetEmailInput {
  readonly to: string;
  readonly username: string;
  /** Built from SITE_URL by the caller, never from a request's Host header. */
  readonly resetUrl: string;
  readonly validForMinutes: number;
}

/** The reset email, as plain text and as escaped HTML carrying the same words. */
export function passwordResetEmail(input: PasswordResetEmailInput): EmailMessage {
  const text = [
    `Hello ${input.username},`,
    '',
    'Someone (we hope you) asked to reset the password of your Hoplink account.',
    `To choose a new password, open this link within ${input.validForMinutes} minutes:`,
    '',
    input.resetUrl,
    '',
    'The link works once. If you did not ask for it, ignore this email: your password stays as it is.',
    '',
  ].join('\n');
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Reset your password</title>
      </head>
      <body>
        <p>Hello ${input.username},</p>
        <p>
          Someone (we hope you) asked to reset the password of your Hoplink account. To choose a new
          password, open this link within ${input.validForMinutes} minutes:
        </p>
        <p><a href="${input.resetUrl}">${input.resetUrl}</a></p>
        <p>
          The link works once. If you did not ask for it, ignore this email: your password stays as
          it is.
        </p>
      </body>
    </html> `;
  return { to: input.to, subject: 'Reset your password', text, html: body.value };
}
