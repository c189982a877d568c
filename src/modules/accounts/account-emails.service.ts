import type { ResetTokensRepository } from './reset-tokens.repository.ts';
import { hashToken, randomToken } from './secret-tokens.ts';
import type { UsersRepository } from './users.repository.ts';

export const RESET_TOKEN_LIFETIME_MS = 60 * 60_000;

/**
 * The port through which accounts asks for an email to be sent later, off the request path.
 * The container backs it with the job queue; each call names the account only (no secret).
 */
export interface AccountEmailJobs {
  passwordReset(userId: string): Promise<void>;
  /** Best effort: never rejects (the account exists either way); the adapter logs failures. */
  welcome(userId: string): Promise<void>;
  /**
   * To the owner of an address someone signed up with. Best effort, like `welcome`: a failure
   * here must not change the sign-up's answer, which would tell that the address is known.
   */
  accountExists(userId: string): Promise<void>;
}

/**
 * The port through which accounts sends its emails: this module decides who gets which email and
 * with which links; the words, the layout and the transport are src/email's, which the container
 * plugs in (decision 0019). Each call sends one email.
 */
export interface AccountMail {
  passwordReset(email: {
    readonly to: string;
    readonly username: string;
    readonly resetUrl: string;
    readonly validForMinutes: number;
  }): Promise<void>;
  welcome(email: {
    readonly to: string;
    readonly username: string;
    readonly siteUrl: string;
  }): Promise<void>;
  accountExists(email: {
    readonly to: string;
    readonly username: string;
    readonly loginUrl: string;
    readonly resetUrl: string;
  }): Promise<void>;
}

export interface AccountEmailsDependencies {
  readonly users: Pick<UsersRepository, 'findById'>;
  readonly resetTokens: Pick<ResetTokensRepository, 'insert'>;
  readonly mail: AccountMail;
  /** SITE_URL: the only base for links in emails. */
  readonly siteUrl: string;
  readonly now?: () => Date;
}

/** What an email job did: `skipped` when the account is gone or inactive (not an error). */
export type EmailOutcome = 'sent' | 'skipped';

/**
 * Composes and sends the account emails; called by jobs. Each send is safe to repeat: a retried
 * reset job mints a fresh token (an unsent one simply expires), and a vanished account completes
 * the job without error.
 */
export function createAccountEmailsService(deps: AccountEmailsDependencies) {
  const now = deps.now ?? (() => new Date());
  const link = (path: string) => new URL(path, deps.siteUrl).toString();

  return {
    async sendPasswordReset(userId: string): Promise<EmailOutcome> {
      const user = await deps.users.findById(userId);
      if (!user?.isActive) return 'skipped';
      const token = randomToken();
      await deps.resetTokens.insert({
        userId: user.id,
        tokenHash: hashToken(token),
        expiresAt: new Date(now().getTime() + RESET_TOKEN_LIFETIME_MS),
      });
      await deps.mail.passwordReset({
        to: user.email,
        username: user.username,
        resetUrl: link(`/accounts/reset/${token}`),
        validForMinutes: RESET_TOKEN_LIFETIME_MS / 60_000,
      });
      return 'sent';
    },

    async sendWelcome(userId: string): Promise<EmailOutcome> {
      const user = await deps.users.findById(userId);
      if (!user?.isActive) return 'skipped';
      await deps.mail.welcome({ to: user.email, username: user.username, siteUrl: link('/') });
      return 'sent';
    },

    async sendAccountExists(userId: string): Promise<EmailOutcome> {
      const user = await deps.users.findById(userId);
      if (!user?.isActive) return 'skipped';
      await deps.mail.accountExists({
        to: user.email,
        username: user.username,
        loginUrl: link('/accounts/login'),
        resetUrl: link('/accounts/password-reset'),
      });
      return 'sent';
    },
  };
}

export type AccountEmailsService = ReturnType<typeof createAccountEmailsService>;
