import type { Database } from '#src/db/client.ts';
import type { EmailSender } from '#src/email/email-sender.ts';
import type { Logger } from '#src/lib/logger.ts';
import type { RateLimitStore } from '#src/lib/rate-limiter.ts';
import { createAccountEmailsService, type AccountEmailJobs } from './account-emails.service.ts';
import { createApiTokensRepository } from './api-tokens.repository.ts';
import { createApiTokensService } from './api-tokens.service.ts';
import {
  createAttemptThrottle,
  LOGIN_POLICY,
  RESET_POLICY,
  SIGN_UP_POLICY,
} from './login-throttle.ts';
import { createPasswordResetService } from './password-reset.service.ts';
import { createResetTokensRepository } from './reset-tokens.repository.ts';
import { createSessionsRepository } from './sessions.repository.ts';
import { createSessionsService } from './sessions.service.ts';
import { createTransactor, createUsersRepository } from './users.repository.ts';
import { createUsersService } from './users.service.ts';

export { USERNAME_PATTERN, type FieldError } from './account-rules.ts';
export type {
  AccountEmailJobs,
  AccountEmailsService,
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
export { InvalidCredentialsError, InvalidResetTokenError, TooManyAttemptsError } from './errors.ts';
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
export type { NewAccountInput, SignUpInput, UsersService } from './users.service.ts';

export interface AccountsDependencies {
  readonly db: Database;
  /** The job queue, seen through the accounts port. */
  readonly emailJobs: AccountEmailJobs;
  /** Where login, reset and sign-up attempts are counted (shared by every process with Redis). */
  readonly rateLimits: RateLimitStore;
  readonly logger: Logger;
  readonly passwordMinLength: number;
  /** SESSION_COOKIE_AGE (idle) and SESSION_MAX_AGE (absolute), in milliseconds. */
  readonly sessionIdleMs: number;
  readonly sessionMaxAgeMs: number;
  /** First path segments the configuration takes (ADMIN_PATH's), refused as usernames. */
  readonly reservedWords?: readonly string[];
}

/**
 * The accounts services wired to their repositories: what the container exposes. Their attempt
 * limits count in `rateLimits`, whichever store the container chose.
 */
export function createAccountServices(deps: AccountsDependencies) {
  const users = createUsersRepository(deps.db);
  const sessions = createSessionsRepository(deps.db);
  const resetTokens = createResetTokensRepository(deps.db);
  const transaction = createTransactor(deps.db);
  return {
    users: createUsersService({
      users,
      sessions,
      resetTokens,
      transaction,
      loginThrottle: createAttemptThrottle(deps.rateLimits, 'login', LOGIN_POLICY),
      signUpThrottle: createAttemptThrottle(deps.rateLimits, 'sign-up', SIGN_UP_POLICY),
      emailJobs: deps.emailJobs,
      passwordMinLength: deps.passwordMinLength,
      ...(deps.reservedWords ? { reservedWords: deps.reservedWords } : {}),
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
  };
}

export type AccountServices = ReturnType<typeof createAccountServices>;

/** The account emails the jobs send; built apart from the services, which only enqueue them. */
export function createAccountEmails(deps: { db: Database; email: EmailSender; siteUrl: string }) {
  return createAccountEmailsService({
    users: createUsersRepository(deps.db),
    resetTokens: createResetTokensRepository(deps.db),
    email: deps.email,
    siteUrl: deps.siteUrl,
  });
}
