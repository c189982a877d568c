import type { EmailMessage } from './email-sender.ts';
import { composeEmail } from './email-layout.ts';

export interface WelcomeEmailInput {
  readonly to: string;
  readonly username: string;
  /** SITE_URL's home page, never a request's Host. */
  readonly siteUrl: string;
}

/** Sent once after sign-up. */
export function welcomeEmail(input: WelcomeEmailInput): EmailMessage {
  return composeEmail({
    to: input.to,
    subject: 'Welcome to Hoplink',
    username: input.username,
    blocks: [
      {
        lead: 'Welcome to Hoplink. Your account is ready: sign in to shorten your first link.',
        link: input.siteUrl,
      },
      {
        paragraph: [
          'If you did not create this account, reply to this email and we will remove it.',
        ],
      },
    ],
  });
}
