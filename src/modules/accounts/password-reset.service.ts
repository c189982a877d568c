import type { Transactor } from '#src/db/transaction.ts';
import type { Logger } from '#src/lib/logger.ts';
import { emailProblem, normalizeEmail } from './account-rules.ts';
import type { AccountEmailJobs } from './account-emails.service.ts';
import { fieldErrors, InvalidResetTokenError } from './errors.ts';
import type { AttemptThrottle } from './login-throttle.ts';
import { validatePassword } from './password-validators.ts';
import { hashPassword, PASSWORD_HASH_PARAMETERS, type HashParameters } from './passwords.ts';
import type { ResetTokensRepository } from './reset-tokens.repository.ts';
import { hashToken } from './secret-tokens.ts';
import type { SessionsRepository } from './sessions.repository.ts';
import type { UsersRepository } from './users.repository.ts';

export { RESET_TOKEN_LIFETIME_MS } from './account-emails.service.ts';

export interface PasswordResetDependencies {
  readonly users: Pick<UsersRepository, 'findByEmail' | 'setPasswordHash'>;
  readonly resetTokens: Pick<
    ResetTokensRepository,
    'findUsable' | 'consume' | 'deleteExpired' | 'deleteUnusedForUser'
  >;
  readonly sessions: Pick<SessionsRepository, 'deleteForUser'>;
  readonly transaction: Transactor;
  /** Where the email is asked for; it is composed and sent by a job, off the request path. */
  readonly emailJobs: Pick<AccountEmailJobs, 'passwordReset'>;
  readonly throttle: AttemptThrottle;
  readonly logger: Logger;
  readonly passwordMinLength: number;
  readonly hashParameters?: HashParameters;
  readonly now?: () => Date;
}

export function createPasswordResetService(deps: PasswordResetDependencies) {
  const now = deps.now ?? (() => new Date());

  return {
    /**
     * Has a single-use link emailed to the account with this address, if there is one. Returns the
     * same way whether or not the address is known (so it cannot be used to probe for accounts);
     * only a malformed address, too many requests, or an unreachable limit store raise.
     */
    async requestReset(input: { email: string; ip: string }): Promise<void> {
      const email = normalizeEmail(input.email);
      const problem = emailProblem(email);
      if (problem) throw fieldErrors([{ field: 'email', message: problem }]);
      // Counted before the lookup, so parallel requests cannot share one free attempt.
      await deps.throttle.count({ ip: input.ip, name: email });
      const user = await deps.users.findByEmail(email);
      if (!user?.isActive) {
        deps.logger.info('password reset asked for an unknown or inactive address');
        return;
      }
      try {
        // The job mints the token and sends the link, so no secret travels through the queue.
        await deps.emailJobs.passwordReset(user.id);
      } catch (error) {
        // Answering with an error here (and only here) would tell that the address exists.
        deps.logger.error({ err: error }, 'password reset email could not be sent');
      }
    },

    /** Whether a link from an email can still be used (the page shows the form only then). */
    async isUsable(token: string): Promise<boolean> {
      return (await deps.resetTokens.findUsable(hashToken(token), now())) !== null;
    },

    /**
     * Deletes the reset tokens whose hour is over at `at` (used or not), for the scheduled purge;
     * returns how many went. A token still within its hour stays.
     */
    purgeExpired(at: Date = now()): Promise<number> {
      return deps.resetTokens.deleteExpired(at);
    },

    /**
     * Sets a new password through a link: the token is spent (once, even under concurrent
     * submissions), the password replaced, and every session of the account ended.
     */
    async completeReset(input: { token: string; newPassword: string }): Promise<void> {
      const tokenHash = hashToken(input.token);
      const found = await deps.resetTokens.findUsable(tokenHash, now());
      if (!found) throw new InvalidResetTokenError();
      const problems = validatePassword(input.newPassword, {
        minLength: deps.passwordMinLength,
        email: found.user.email,
        username: found.user.username,
      });
      if (problems.length > 0) {
        throw fieldErrors(problems.map((message) => ({ field: 'newPassword', message })));
      }
      const passwordHash = await hashPassword(
        input.newPassword,
        deps.hashParameters ?? PASSWORD_HASH_PARAMETERS,
      );
      await deps.transaction(async (tx) => {
        const spent = await deps.resetTokens.consume(tokenHash, now(), tx);
        if (!spent) throw new InvalidResetTokenError();
        await deps.users.setPasswordHash(spent.userId, passwordHash, tx);
        await deps.resetTokens.deleteUnusedForUser(spent.userId, tx);
        await deps.sessions.deleteForUser(spent.userId, {}, tx);
      });
    },
  };
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
