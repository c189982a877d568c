import type { AccountEmailsService } from '#src/modules/accounts/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';

/**
 * Tells the address of a deleted account that it is gone. A retry after a send that did land
 * repeats the email, as any email job's would; nothing else is left to change.
 */
export function sendAccountDeletedEmail(
  emails: Pick<AccountEmailsService, 'sendAccountDeleted'>,
): JobHandlers['send-account-deleted-email'] {
  return async (recipient) => {
    await emails.sendAccountDeleted(recipient);
  };
}
