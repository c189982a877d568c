import type { EmailSender } from '#src/email/email-sender.ts';
import { passwordResetEmail } from '#src/email/password-reset-email.ts';
import type { Logger } from '#src/lib/logger.ts';
import { emailProblem, normalizeEmail } from './account-rules.ts';
import { fieldErrors, InvalidResetTokenError } from './errors.ts';
import type { AttemptThrottle } from './login-throttle.ts';
import { validatePassword } from './password-validators.ts';
import { hashPassword, PASSWORD_HASH_PARAMETERS, type HashParameters } from './passwords.ts';
import type { ResetTokensRepository } from './reset-tokens.repository.ts';
import { hashToken, randomToken } from './secret-tokens.ts';
import type { SessionsRepository } from './sessions.repository.ts';
import type { Transactor, UsersRepository } from './users.repository.ts';

export const RESET_TOKEN_LIFETIME_MS = 60 * 60_000;

export interface PasswordResetDependencies {
  readonly users: Pick<UsersRepository, 'findByEmail' | 'setPasswordHash'>;
  readonly resetTokens: ResetTokensRepository;
  readonly sessions: Pick<SessionsRepository, 'deleteForUser'>;
  readonly transaction: Transactor;
  readonly email: EmailSender;
  readonly throttle: AttemptThrottle;
  readonly logger: Logger;
  /** SITE_URL: the only base for the link in the email. */
  readonly siteUrl: string;
  readonly passwordMinLength: number;
  readonly hashParameters?: HashParameters;
  readonly now?: () => Date;
}

export function createPasswordResetService(deps: PasswordResetDependencies) {
  const now = deps.now ?? (() => new Date());

  /** The link in the email; only SITE_URL decides the host a user is sent to. */
  function resetUrl(token: string): string {
    return new URL(`/accounts/reset/${token}`, deps.siteUrl).toString();
  }

  return {
    /**
     * Emails a single-use link to the account with this address, if there is one. Returns the
     * same way whether or not the address is known (so it cannot be used to probe for accounts);
     * only a malformed address or too many requests raise.
     */
    async requestReset(input: { email: string; ip: string }): Promise<void> {
      const email = normalizeEmail(input.email);
      const problem = emailProblem(email);
      if (problem) throw fieldErrors([{ field: 'email', message: problem }]);
      deps.throttle.assertAllowed(input.ip, email);
      deps.throttle.record(input.ip, email);
      const user = await deps.users.findByEmail(email);
      if (!user?.isActive) {
        deps.logger.info('password reset asked for an unknown or inactive address');
        return;
      }
      const token = randomToken();
      await deps.resetTokens.insert({
        userId: user.id,
        tokenHash: hashToken(token),
        expiresAt: new Date(now().getTime() + RESET_TOKEN_LIFETIME_MS),
      });
      const message = passwordResetEmail({
        to: user.email,
        username: user.username,
        resetUrl: resetUrl(token),
        validForMinutes: RESET_TOKEN_LIFETIME_MS / 60_000,
      });
      try {
        await deps.email.send(message);
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
