import { AppError, RateLimitedError, ValidationError } from '#src/lib/errors.ts';
import type { FieldError } from './account-rules.ts';

/**
 * Wrong login or password, or an account paused after repeated failures: worded the same
 * whichever it was, so accounts cannot be probed, and saying enough for the owner of a paused
 * account to understand why their password did not work.
 */
export class InvalidCredentialsError extends AppError {
  constructor() {
    super(
      'invalid_credentials',
      400,
      'That login and password do not match an account. Check both and try again. After repeated failures an account is paused for a few minutes.',
    );
  }
}

/** A password-reset link that is unknown, used, expired, or whose account is gone. */
export class InvalidResetTokenError extends AppError {
  constructor() {
    super(
      'invalid_reset_token',
      400,
      'This password reset link is invalid or has expired. Links work once, for one hour.',
    );
  }
}

/** Too many login or reset attempts; deliberately silent about which limit was hit. */
export class TooManyAttemptsError extends RateLimitedError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterMs: number) {
    super('Too many attempts. Wait a few minutes, then try again.');
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}

/** A ValidationError whose details name each field and what is wrong with it. */
export function fieldErrors(errors: readonly FieldError[]): ValidationError {
  return new ValidationError('Some fields need attention.', errors);
}
