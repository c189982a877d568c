import type { Logger } from '#src/lib/logger.ts';
import type { PasswordResetService, SessionsService } from '#src/modules/accounts/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';

export interface PurgeExpiredAuthDependencies {
  readonly sessions: Pick<SessionsService, 'purgeExpired'>;
  readonly passwordReset: Pick<PasswordResetService, 'purgeExpired'>;
  readonly logger: Pick<Logger, 'info'>;
}

/** Deletes sessions and reset tokens nobody can use any more; running it twice deletes nothing more. */
export function purgeExpiredAuth(
  deps: PurgeExpiredAuthDependencies,
): JobHandlers['purge-expired-auth'] {
  return async () => {
    const now = new Date();
    const sessions = await deps.sessions.purgeExpired(now);
    const resetTokens = await deps.passwordReset.purgeExpired(now);
    deps.logger.info({ sessions, resetTokens }, 'purged expired sessions and reset tokens');
  };
}
