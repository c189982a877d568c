import type { AccountEmailsService } from '#src/modules/accounts/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';

/**
 * Mints an invitation's link and emails it. Safe to retry: each attempt's link replaces the one
 * before (only the newest email works), and a used, revoked or expired invitation sends nothing.
 */
export function sendInvitationEmail(
  emails: Pick<AccountEmailsService, 'sendInvitation'>,
): JobHandlers['send-invitation-email'] {
  return async ({ invitationId }) => {
    await emails.sendInvitation(invitationId);
  };
}
