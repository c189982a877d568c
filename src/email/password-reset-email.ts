import type { EmailMessage } from './email-sender.ts';
import { composeEmail } from './email-layout.ts';

export interface PasswordResetEmailInput {
  readonly to: string;
  readonly username: string;
  /** Built from SITE_URL by the caller, never from a request's Host header. */
  readonly resetUrl: string;
  readonly validForMinutes: number;
}

export function passwordResetEmail(input: PasswordResetEmailInput): EmailMessage {
  return composeEmail({
    to: input.to,
    subject: 'Reset your password',
    username: input.username,
    blocks: [
      {
        lead:
          'Someone (we hope you) asked to reset the password of your Hoplink account. ' +
          `To choose a new password, open this link within ${String(input.validForMinutes)} minutes:`,
        link: input.resetUrl,
      },
      {
        paragraph: [
          'The link works once. If you did not ask for it, ignore this email: ',
          'your password stays as it is.',
        ],
      },
    ],
  });
}
