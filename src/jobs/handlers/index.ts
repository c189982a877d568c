import type { Logger } from '#src/lib/logger.ts';
import type {
  AccountEmailsService,
  PasswordResetService,
  SessionsService,
} from '#src/modules/accounts/index.ts';
import type { ClickWriter } from '#src/modules/analytics/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';
import { purgeExpiredAuth } from './purge-expired-auth.ts';
import { recordClicks } from './record-clicks.ts';
import { sendAccountExistsEmail } from './send-account-exists-email.ts';
import { sendPasswordResetEmail } from './send-password-reset-email.ts';
import { sendWelcomeEmail } from './send-welcome-email.ts';

export interface JobHandlerDependencies {
  readonly accountEmails: AccountEmailsService;
  readonly clickWriter: Pick<ClickWriter, 'write'>;
  readonly sessions: Pick<SessionsService, 'purgeExpired'>;
  readonly passwordReset: Pick<PasswordResetService, 'purgeExpired'>;
  readonly logger: Pick<Logger, 'info'>;
}

/** Every job's handler, built from the module services it calls. */
export function createJobHandlers(deps: JobHandlerDependencies): JobHandlers {
  return {
    'record-clicks': recordClicks(deps.clickWriter),
    'purge-expired-auth': purgeExpiredAuth(deps),
    'send-password-reset-email': sendPasswordResetEmail(deps.accountEmails),
    'send-welcome-email': sendWelcomeEmail(deps.accountEmails),
    'send-account-exists-email': sendAccountExistsEmail(deps.accountEmails),
  };
}
