import type { AccountEmailsService } from '#src/modules/accounts/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';

/** Emails the welcome message; an account gone since sign-up completes the job silently. */
export function sendWelcomeEmail(
  emails: Pick<AccountEmailsService, 'sendWelcome'>,
): JobHandlers['send-welcome-email'] {
  return async ({ userId }) => {
    await emails.sendWelcome(userId);
  };
}
