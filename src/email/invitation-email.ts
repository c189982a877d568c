import type { EmailMessage } from './email-sender.ts';
import { composeEmail } from './email-layout.ts';
import { linkExpiry } from './link-expiry.ts';

export interface InvitationEmailInput {
  readonly to: string;
  /** Built from SITE_URL by the caller, never from a request's Host header. */
  readonly registerUrl: string;
  readonly expiresAt: Date;
  /** The staff member's username; null when an operator invited from the command line. */
  readonly invitedBy: string | null;
}

/** An invitation to create an account: the link fixes the address, the invitee picks the rest. */
export function invitationEmail(input: InvitationEmailInput): EmailMessage {
  const invited = input.invitedBy === null ? 'You are invited' : `${input.invitedBy} invited you`;
  return composeEmail({
    to: input.to,
    subject: 'You are invited to Hoplink',
    username: null,
    blocks: [
      {
        lead:
          `${invited} to create an account on Hoplink, a link shortener. ` +
          'Open this link to choose your username and password:',
        link: input.registerUrl,
      },
      {
        paragraph: [
          'The link works once, until ',
          { strong: linkExpiry(input.expiresAt) },
          '. If you did not expect this invitation, ignore this email: nothing is created ',
          'unless you use the link.',
        ],
      },
    ],
  });
}
