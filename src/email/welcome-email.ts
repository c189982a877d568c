import { html } from '#src/lib/html.ts';
import type { EmailMessage } from './email-sender.ts';

export interface WelcomeEmailInput {
  readonly to: string;
  readonly username: string;
  /** SITE_URL's home page, never a request's Host. */
  readonly siteUrl: string;
}

/** Sent once after sign-up, as plain text and as escaped HTML carrying the same words. */
export function welcomeEmail(input: WelcomeEmailInput): EmailMessage {
  const text = [
    `Hello ${input.username},`,
    '',
    'Welcome to Hoplink. Your account is ready: sign in to shorten your first link.',
    '',
    input.siteUrl,
    '',
    'If you did not create this account, reply to this email and we will remove it.',
    '',
  ].join('\n');
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Welcome to Hoplink</title>
      </head>
      <body>
        <p>Hello ${input.username},</p>
        <p>Welcome to Hoplink. Your account is ready: sign in to shorten your first link.</p>
        <p><a href="${input.siteUrl}">${input.siteUrl}</a></p>
        <p>If you did not create this account, reply to this email and we will remove it.</p>
      </body>
    </html> `;
  return { to: input.to, subject: 'Welcome to Hoplink', text, html: body.value };
}
