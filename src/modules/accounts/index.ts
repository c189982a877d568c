import type { Database } from '#src/db/client.ts';
import { createTransactor } from '#src/db/transaction.ts';
import type { Logger } from '#src/lib/logger.ts';
import type { RateLimitStore } from '#src/lib/rate-limiter.ts';
import { createAccountDeletionService, type OwnedLinks } from './account-deletion.service.ts';
import {
  createAccountEmailsService,
  type AccountEmailJobs,
  type AccountMail,
} from './account-emails.service.ts';
import { createApiTokensRepository } from './api-tokens.repository.ts';
import { createApiTokensService } from './api-tokens.service.ts';
import { createEmailVerificationService } from './email-verification.service.ts';
import { createInvitationsRepository } from './invitations.repository.ts';
import { createInvitationsService } from './invitations.service.ts';
import {
  createAttemptThrottle,
  LOGIN_POLICY,
  RESET_POLICY,
  SIGN_UP_POLICY,
  VERIFICATION_RESEND_POLICY,
} from './login-throttle.ts';
import { createPasswordResetService } from './password-reset.service.ts';
import { createResetTokensRepository } from './reset-tokens.repository.ts';
import { createSessionsRepository } from './sessions.repository.ts';
import { createSessionsService } from './sessions.service.ts';
import { createUsersRepository } from './users.repository.ts';
import { createUsersService, type RegistrationMode } from './users.service.ts';
import { createVerificationTokensRepository } from './verification-tokens.repository.ts';

export { USERNAME_PATTERN, type FieldError } from './account-rules.ts';
export type {
  AccountDeletionService,
  DeletedAccount,
  OwnedLinks,
} from './account-deletion.service.ts';
export type {
  AccountDeletedRecipient,
  AccountEmailJobs,
  AccountEmailsService,
  AccountMail,
  EmailOutcome,
} from './account-emails.service.ts';
export {
  API_TOKEN_SCOPES,
  DEFAULT_API_TOKEN_SCOPES,
  type ApiToken,
  type ApiTokenIdentity,
  type ApiTokenScope,
  type ApiTokensService,
} from './api-tokens.service.ts';
export type { EmailVerificationService, ResendOutcome } from './email-verification.service.ts';
export {
  EmailNotVerifiedError,
  InvalidCredentialsError,
  InvalidInvitationError,
  InvalidResetTokenError,
  InvalidVerificationTokenError,
  SignUpClosedError,
  TooManyAttemptsError,
} from './errors.ts';
export {
  INVITATIONS_LISTED,
  type Invitation,
  type InvitationStatus,
  type InvitationsService,
} from './invitations.service.ts';
export {
  LOGIN_POLICY,
  RESET_POLICY,
  SIGN_UP_POLICY,
  type ThrottlePolicy,
} from './login-throttle.ts';
export { validatePassword } from './password-validators.ts';
export { RESET_TOKEN_LIFETIME_MS, type PasswordResetService } from './password-reset.service.ts';
export {
  hashPassword,
  PASSWORD_HASH_PARAMETERS,
  verifyPassword,
  type HashParameters,
} from './passwords.ts';
export type { ActiveSession, SessionsService } from './sessions.service.ts';
export type { User } from './user.ts';
export type {
  InvitedSignUpInput,
  NewAccountInput,
  RegistrationMode,
  SignUpInput,
  UsersService,
} from './users.service.ts';

export interface AccountsModuleDependencies {
  /** The module builds its repositories on it. */
  readonly db: Database;
  /** The job queue, seen through the accounts port: the services ask for emails here. */
  readonly emailJobs: AccountEmailJobs;
  /** Sends one account email: src/email's templates and transport, behind the port. */
  readonly mail: AccountMail;
  /** An account's links, which its deletion takes with it: their addresses, and the broadcast. */
  readonly links: OwnedLinks;
  /** SITE_URL: the only base for links in emails. */
  readonly siteUrl: string;
  /** Where login, reset and sign-up attempts are counted (shared by every process with Redis). */
  readonly rateLimits: RateLimitStore;
  readonly logger: Logger;
  readonly passwordMinLength: number;
  /** SESSION_COOKIE_AGE (idle) and SESSION_MAX_AGE (absolute), in milliseconds. */
  readonly sessionIdleMs: number;
  readonly sessionMaxAgeMs: number;
  /** First path segments the configuration takes (ADMIN_PATH's), refused as usernames. */
  readonly reservedWords?: readonly string[];
  /** REGISTRATION_MODE, INVITATION_TTL, EMAIL_VERIFICATION, EMAIL_VERIFICATION_TTL (0027). */
  readonly registrationMode: RegistrationMode;
  readonly invitationTtlMs: number;
  readonly emailVerification: boolean;
  readonly emailVerificationTtlMs: number;
}

/**
 * The accounts module: its services, wired to repositories it builds on `db`. Attempt limits
 * count in `rateLimits`, whichever store the container chose; `emails` is what the email jobs
 * run (the other services only enqueue them).
 */
export function createAccountsModule(deps: AccountsModuleDependencies) {
  const users = createUsersRepository(deps.db);
  const sessions = createSessionsRepository(deps.db);
  const resetTokens = createResetTokensRepository(deps.db);
  const invitations = createInvitationsRepository(deps.db);
  const verificationTokens = createVerificationTokensRepository(deps.db);
  const transaction = createTransactor(deps.db);
  const loginThrottle = createAttemptThrottle(deps.rateLimits, 'login', LOGIN_POLICY);
  return {
    users: createUsersService({
      users,
      sessions,
      resetTokens,
      invitations,
      verificationTokens,
      transaction,
      loginThrottle,
      signUpThrottle: createAttemptThrottle(deps.rateLimits, 'sign-up', SIGN_UP_POLICY),
      emailJobs: deps.emailJobs,
      registrationMode: deps.registrationMode,
      emailVerification: deps.emailVerification,
      passwordMinLength: deps.passwordMinLength,
      ...(deps.reservedWords ? { reservedWords: deps.reservedWords } : {}),
    }),
    invitations: createInvitationsService({
      invitations,
      users,
      transaction,
      emailJobs: deps.emailJobs,
      ttlMs: deps.invitationTtlMs,
    }),
    emailVerification: createEmailVerificationService({
      users,
      tokens: verificationTokens,
      transaction,
      emailJobs: deps.emailJobs,
      resendThrottle: createAttemptThrottle(
        deps.rateLimits,
        'verify-email',
        VERIFICATION_RESEND_POLICY,
      ),
      required: deps.emailVerification,
    }),
    sessions: createSessionsService({
      sessions,
      idleMs: deps.sessionIdleMs,
      maxAgeMs: deps.sessionMaxAgeMs,
    }),
    passwordReset: createPasswordResetService({
      users,
      resetTokens,
      sessions,
      transaction,
      emailJobs: deps.emailJobs,
      throttle: createAttemptThrottle(deps.rateLimits, 'reset', RESET_POLICY),
      logger: deps.logger,
      passwordMinLength: deps.passwordMinLength,
    }),
    apiTokens: createApiTokensService({ apiTokens: createApiTokensRepository(deps.db) }),
    deletion: createAccountDeletionService({
      users,
      throttle: loginThrottle,
      links: deps.links,
      emailJobs: deps.emailJobs,
    }),
    emails: createAccountEmailsService({
      users,
      resetTokens,
      invitations,
      verificationTokens,
      mail: deps.mail,
      siteUrl: deps.siteUrl,
      emailVerificationTtlMs: deps.emailVerificationTtlMs,
    }),
  };
}

export type AccountsModule = ReturnType<typeof createAccountsModule>;
