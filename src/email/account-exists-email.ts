import type { EmailMessage } from './email-sender.ts';
import { composeEmail } from './email-layout.ts';

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
 * know.
 */
export function accountExistsEmail(input: AccountExistsEmailInput): EmailMessage {
  return composeEmail({
    to: input.to,
    subject: 'You already have a Hoplink account',
    username: input.username,
    blocks: [
      {
        paragraph: [
          'Someone (perhaps you) tried to create a Hoplink account with this email address. ',
          'You already have one, with the username ',
          { strong: input.username },
          ', so nothing was created or changed.',
        ],
      },
      { lead: 'To log in:', link: input.loginUrl },
      { lead: 'Forgot your password? Choose a new one here:', link: input.resetUrl },
      {
        paragraph: [
          'If it was not you, ignore this email: your account and password stay as they are.',
        ],
      },
    ],
  });
}
