import type { Transactor } from '#src/db/transaction.ts';
import type { AccountEmailJobs } from './account-emails.service.ts';
import { EmailNotVerifiedError, InvalidVerificationTokenError } from './errors.ts';
import type { AttemptThrottle } from './login-throttle.ts';
import { hashToken } from './secret-tokens.ts';
import type { UsersRepository } from './users.repository.ts';
import type { VerificationTokensRepository } from './verification-tokens.repository.ts';

export interface EmailVerificationDependencies {
  readonly users: Pick<UsersRepository, 'findById' | 'markEmailVerified'>;
  readonly tokens: Pick<
    VerificationTokensRepository,
    'findUsable' | 'consume' | 'deleteUnusedForUser' | 'deleteExpired'
  >;
  readonly transaction: Transactor;
  readonly emailJobs: Pick<AccountEmailJobs, 'emailVerification'>;
  /** New links asked for, per IP and per account (VERIFICATION_RESEND_POLICY). */
  readonly resendThrottle: AttemptThrottle;
  /** EMAIL_VERIFICATION: whether an unconfirmed address keeps its account from creating links. */
  readonly required: boolean;
  readonly now?: () => Date;
}

/** What asking for a new link did: `verified` when there was nothing left to confirm. */
export type ResendOutcome = 'sent' | 'verified';

/**
 * Confirming an account's address through an emailed link (decision 0027): the link is a hashed,
 * single-use token for the address it went to; following it confirms that address and nothing
 * else (it signs nobody in). While EMAIL_VERIFICATION is on, an unconfirmed account may sign in
 * and look around but not create links.
 */
export function createEmailVerificationService(deps: EmailVerificationDependencies) {
  const now = deps.now ?? (() => new Date());

  return {
    /** EMAIL_VERIFICATION, for the pages that tell a user why they cannot create links. */
    required: deps.required,

    /** Rejects with EmailNotVerifiedError (403) while the owner's address waits for confirmation. */
    async assertMayCreateLinks(userId: string): Promise<void> {
      if (!deps.required) return;
      const user = await deps.users.findById(userId);
      if (user?.emailVerifiedAt === null) throw new EmailNotVerifiedError();
    },

    /**
     * Emails a new link to the account's current address, unless it is confirmed already.
     * Counted per IP and per account (TooManyAttemptsError past the policy): each one sends mail.
     */
    async resend(input: { userId: string; ip: string }): Promise<ResendOutcome> {
      const user = await deps.users.findById(input.userId);
      if (!user || user.emailVerifiedAt !== null) return 'verified';
      await deps.resendThrottle.count({ ip: input.ip, name: user.id });
      await deps.emailJobs.emailVerification(user.id);
      return 'sent';
    },

    /** The address a link would confirm, while it can still be used. */
    async check(token: string): Promise<{ readonly email: string } | null> {
      if (token === '') return null;
      const row = await deps.tokens.findUsable(hashToken(token), now());
      return row ? { email: row.email } : null;
    },

    /**
     * Confirms the address the link was sent to: the token is spent (once, even under concurrent
     * submissions), the account marked, its other links voided. InvalidVerificationTokenError
     * when the link is unknown, used, expired or for an address the account no longer has.
     */
    async verify(token: string): Promise<{ readonly email: string }> {
      const tokenHash = hashToken(token);
      return deps.transaction(async (tx) => {
        const at = now();
        const spent = await deps.tokens.consume(tokenHash, at, tx);
        if (!spent) throw new InvalidVerificationTokenError();
        if (!(await deps.users.markEmailVerified(spent.userId, spent.email, at, tx))) {
          throw new InvalidVerificationTokenError();
        }
        await deps.tokens.deleteUnusedForUser(spent.userId, tx);
        return { email: spent.email };
      });
    },

    /** Deletes the links whose time is over at `at`, for the scheduled purge; how many went. */
    purgeExpired(at: Date = now()): Promise<number> {
      return deps.tokens.deleteExpired(at);
    },
  };
}

export type EmailVerificationService = ReturnType<typeof createEmailVerificationService>;
