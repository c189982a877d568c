import type { AccountEmailsService } from '#src/modules/accounts/index.ts';
import type { JobHandlers } from '../job-registry.ts';
import { sendPasswordResetEmail } from './send-password-reset-email.ts';
import { sendWelcomeEmail } from './send-welcome-email.ts';

export interface JobHandlerDependencies {
  readonly accountEmails: AccountEmailsService;
}

/** Every job's handler, built from the module services it calls. */
export function createJobHandlers(deps: JobHandlerDependencies): JobHandlers {
  return {
    'send-password-reset-email': sendPasswordResetEmail(deps.accountEmails),
    'send-welcome-email': sendWelcomeEmail(deps.accountEmails),
  };
}
