import type { Logger } from '#src/lib/logger.ts';
import type {
  AccountEmailsService,
  EmailVerificationService,
  PasswordResetService,
  SessionsService,
} from '#src/modules/accounts/index.ts';
import type { ClickRetentionService, ClickWriter } from '#src/modules/analytics/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';
import { purgeExpiredAuth } from './purge-expired-auth.ts';
import { purgeOldClicks } from './purge-old-clicks.ts';
import { recordClicks } from './record-clicks.ts';
import { sendAccountDeletedEmail } from './send-account-deleted-email.ts';
import { sendAccountExistsEmail } from './send-account-exists-email.ts';
import { sendEmailVerification } from './send-email-verification.ts';
import { sendInvitationEmail } from './send-invitation-email.ts';
import { sendPasswordResetEmail } from './send-password-reset-email.ts';
import { sendWelcomeEmail } from './send-welcome-email.ts';

export interface JobHandlerDependencies {
  readonly accountEmails: AccountEmailsService;
  readonly clickWriter: Pick<ClickWriter, 'write'>;
  readonly clickRetention: Pick<ClickRetentionService, 'run'>;
  /** Aborted when the process stops, for jobs that run long (click retention). */
  readonly stopping: AbortSignal;
  readonly sessions: Pick<SessionsService, 'purgeExpired'>;
  readonly passwordReset: Pick<PasswordResetService, 'purgeExpired'>;
  readonly emailVerification: Pick<EmailVerificationService, 'purgeExpired'>;
  readonly logger: Pick<Logger, 'info'>;
}

/** Every job's handler, built from the module services it calls. */
export function createJobHandlers(deps: JobHandlerDependencies): JobHandlers {
  return {
    'record-clicks': recordClicks(deps.clickWriter),
    'purge-expired-auth': purgeExpiredAuth(deps),
    'purge-old-clicks': purgeOldClicks(deps),
    'send-password-reset-email': sendPasswordResetEmail(deps.accountEmails),
    'send-welcome-email': sendWelcomeEmail(deps.accountEmails),
    'send-account-exists-email': sendAccountExistsEmail(deps.accountEmails),
    'send-account-deleted-email': sendAccountDeletedEmail(deps.accountEmails),
    'send-invitation-email': sendInvitationEmail(deps.accountEmails),
    'send-email-verification': sendEmailVerification(deps.accountEmails),
  };
}
