import type { EmailMessage } from './email-sender.ts';
import { composeEmail } from './email-layout.ts';
import { linkExpiry } from './link-expiry.ts';

export interface EmailVerificationEmailInput {
  readonly to: string;
  readonly username: string;
  /** Built from SITE_URL by the caller, never from a request's Host header. */
  readonly verifyUrl: string;
  readonly expiresAt: Date;
}

/** Asks the owner of an address to confirm it: after sign-up, or after changing it. */
export function emailVerificationEmail(input: EmailVerificationEmailInput): EmailMessage {
  return composeEmail({
    to: input.to,
    subject: 'Confirm your email address',
    username: input.username,
    blocks: [
      {
        lead:
          'Please confirm that this address belongs to your Hoplink account: open this link ' +
          'and press the button on the page. Until then you can sign in and look around, but ' +
          'not create links.',
        link: input.verifyUrl,
      },
      {
        paragraph: [
          'The link works once, until ',
          { strong: linkExpiry(input.expiresAt) },
          '; the site can send you a new one. If you did not create this account or change its ',
          'address, ignore this email.',
        ],
      },
    ],
  });
}
