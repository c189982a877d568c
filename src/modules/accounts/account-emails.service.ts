import type { InvitationsRepository } from './invitations.repository.ts';
import type { ResetTokensRepository } from './reset-tokens.repository.ts';
import { hashToken, randomToken } from './secret-tokens.ts';
import type { UsersRepository } from './users.repository.ts';
import type { VerificationTokensRepository } from './verification-tokens.repository.ts';

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
  /**
   * To the address of an account just deleted. The account is gone by the time the job runs, so
   * the job carries the address and username themselves (decision 0026). Best effort: the
   * deletion has happened whether or not the email can be queued.
   */
  accountDeleted(recipient: AccountDeletedRecipient): Promise<void>;
  /**
   * An invitation's email; the job mints its link, so the queue carries the invitation's id
   * only. Rejects when it cannot be queued: the staff member asking should know.
   */
  invitation(invitationId: string): Promise<void>;
  /**
   * A link that confirms the account's current address. Best effort, like `welcome`: at
   * sign-up a failure must not change the answer, and the banner offers a new link anyway.
   */
  emailVerification(userId: string): Promise<void>;
}

/** Who the "your account is deleted" email goes to: all that is left of the account. */
export interface AccountDeletedRecipient {
  readonly email: string;
  readonly username: string;
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
  accountDeleted(email: {
    readonly to: string;
    readonly username: string;
    readonly siteUrl: string;
  }): Promise<void>;
  invitation(email: {
    readonly to: string;
    readonly registerUrl: string;
    readonly expiresAt: Date;
    /** The staff member's username; null when an operator invited from the command line. */
    readonly invitedBy: string | null;
  }): Promise<void>;
  emailVerification(email: {
    readonly to: string;
    readonly username: string;
    readonly verifyUrl: string;
    readonly expiresAt: Date;
  }): Promise<void>;
}

export interface AccountEmailsDependencies {
  readonly users: Pick<UsersRepository, 'findById'>;
  readonly resetTokens: Pick<ResetTokensRepository, 'insert'>;
  readonly invitations: Pick<InvitationsRepository, 'findById' | 'setTokenHash'>;
  readonly verificationTokens: Pick<VerificationTokensRepository, 'insert'>;
  readonly mail: AccountMail;
  /** SITE_URL: the only base for links in emails. */
  readonly siteUrl: string;
  /** EMAIL_VERIFICATION_TTL: how long a confirmation link works. */
  readonly emailVerificationTtlMs: number;
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

    /**
     * Mints the invitation's link (its hash replaces an earlier attempt's, so only the newest
     * email's link works) and sends it; skipped once the invitation is used, revoked or expired.
     */
    async sendInvitation(invitationId: string): Promise<EmailOutcome> {
      const invitation = await deps.invitations.findById(invitationId);
      if (!invitation) return 'skipped';
      const token = randomToken();
      const pending = await deps.invitations.setTokenHash(invitation.id, hashToken(token), now());
      if (!pending) return 'skipped';
      const inviter = pending.invitedBy ? await deps.users.findById(pending.invitedBy) : null;
      await deps.mail.invitation({
        to: pending.email,
        registerUrl: link(`/accounts/register?invitation=${token}`),
        expiresAt: pending.expiresAt,
        invitedBy: inviter?.username ?? null,
      });
      return 'sent';
    },

    /**
     * Mints a link that confirms the account's current address, and sends it there; skipped
     * when the account is gone, inactive or already confirmed. A retry mints another link: each
     * works until it expires or one of them is used.
     */
    async sendEmailVerification(userId: string): Promise<EmailOutcome> {
      const user = await deps.users.findById(userId);
      if (!user?.isActive || user.emailVerifiedAt !== null) return 'skipped';
      const token = randomToken();
      const expiresAt = new Date(now().getTime() + deps.emailVerificationTtlMs);
      await deps.verificationTokens.insert({
        userId: user.id,
        email: user.email,
        tokenHash: hashToken(token),
        expiresAt,
      });
      await deps.mail.emailVerification({
        to: user.email,
        username: user.username,
        verifyUrl: link(`/accounts/verify-email?token=${token}`),
        expiresAt,
      });
      return 'sent';
    },

    /** Always sent: there is no account left to check, only the address it had. */
    async sendAccountDeleted(recipient: AccountDeletedRecipient): Promise<EmailOutcome> {
      await deps.mail.accountDeleted({
        to: recipient.email,
        username: recipient.username,
        siteUrl: link('/'),
      });
      return 'sent';
    },
  };
}

export type AccountEmailsService = ReturnType<typeof createAccountEmailsService>;
