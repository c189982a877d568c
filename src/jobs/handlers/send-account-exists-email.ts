import type { AccountEmailsService } from '#src/modules/accounts/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';

/** Tells an address's owner that someone signed up with it; a vanished account is no error. */
export function sendAccountExistsEmail(
  emails: Pick<AccountEmailsService, 'sendAccountExists'>,
): JobHandlers['send-account-exists-email'] {
  return async ({ userId }) => {
    await emails.sendAccountExists(userId);
  };
}
