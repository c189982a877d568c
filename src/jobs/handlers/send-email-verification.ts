import type { AccountEmailsService } from '#src/modules/accounts/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';

/**
 * Mints a link that confirms an account's address and emails it. Safe to retry: each attempt's
 * link is fresh and an unused one expires; a confirmed, deleted or deactivated account completes
 * the job with nothing sent.
 */
export function sendEmailVerification(
  emails: Pick<AccountEmailsService, 'sendEmailVerification'>,
): JobHandlers['send-email-verification'] {
  return async ({ userId }) => {
    await emails.sendEmailVerification(userId);
  };
}
