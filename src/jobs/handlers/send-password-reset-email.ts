import type { AccountEmailsService } from '#src/modules/accounts/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';

/**
 * Mints a reset link and emails it. Idempotent enough to retry: each attempt's link is fresh and
 * an unsent one expires; a deleted or deactivated account completes the job (nothing to send).
 */
export function sendPasswordResetEmail(
  emails: Pick<AccountEmailsService, 'sendPasswordReset'>,
): JobHandlers['send-password-reset-email'] {
  return async ({ userId }) => {
    await emails.sendPasswordReset(userId);
  };
}
