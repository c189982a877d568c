import type { EmailMessage } from './email-sender.ts';
import { composeEmail } from './email-layout.ts';

export interface AccountDeletedEmailInput {
  /** The address the account had: the account itself is gone when this is sent. */
  readonly to: string;
  readonly username: string;
  /** SITE_URL's home page, never a request's Host. */
  readonly siteUrl: string;
}

/** Sent once an account is deleted, by its owner or by staff. */
export function accountDeletedEmail(input: AccountDeletedEmailInput): EmailMessage {
  return composeEmail({
    to: input.to,
    subject: 'Your Hoplink account is deleted',
    username: input.username,
    blocks: [
      {
        paragraph: [
          'Your Hoplink account ',
          { strong: input.username },
          ' is deleted, with everything it held: its links (they no longer redirect), their clicks and statistics, your sessions and your API tokens. Nothing of it can be restored.',
        ],
      },
      { paragraph: ['If you did not ask for this, reply to this email.'] },
      { lead: 'You are welcome back at any time:', link: input.siteUrl },
    ],
  });
}
