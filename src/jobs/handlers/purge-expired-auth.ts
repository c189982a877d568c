import type { Logger } from '#src/lib/logger.ts';
import type {
  EmailVerificationService,
  PasswordResetService,
  SessionsService,
} from '#src/modules/accounts/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';

export interface PurgeExpiredAuthDependencies {
  readonly sessions: Pick<SessionsService, 'purgeExpired'>;
  readonly passwordReset: Pick<PasswordResetService, 'purgeExpired'>;
  readonly emailVerification: Pick<EmailVerificationService, 'purgeExpired'>;
  readonly logger: Pick<Logger, 'info'>;
}

/**
 * Deletes sessions, reset and email-confirmation links nobody can use any more; running it twice
 * deletes nothing more.
 */
export function purgeExpiredAuth(
  deps: PurgeExpiredAuthDependencies,
): JobHandlers['purge-expired-auth'] {
  return async () => {
    const now = new Date();
    const sessions = await deps.sessions.purgeExpired(now);
    const resetTokens = await deps.passwordReset.purgeExpired(now);
    const verificationTokens = await deps.emailVerification.purgeExpired(now);
    deps.logger.info(
      { sessions, resetTokens, verificationTokens },
      'purged expired sessions, reset and email-confirmation tokens',
    );
  };
}
