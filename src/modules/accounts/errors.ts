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

/** A sign-up without an invitation while REGISTRATION_MODE is invite or closed. */
export class SignUpClosedError extends AppError {
  constructor(mode: 'invite' | 'closed') {
    super(
      'sign_up_closed',
      403,
      mode === 'invite'
        ? 'New accounts need an invitation here: ask the people who run this site for one.'
        : 'Sign-ups are closed here: accounts are made by the people who run this site.',
    );
  }
}

/**
 * An invitation link that is unknown, used, revoked or expired: one message for all four, as the
 * visitor can do the same about each (ask for a new invitation).
 */
export class InvalidInvitationError extends AppError {
  constructor() {
    super(
      'invalid_invitation',
      400,
      'This invitation no longer works: it was used, withdrawn, or it expired. Ask whoever invited you for a new one.',
    );
  }
}

/** Creating a link before confirming the account's email address (EMAIL_VERIFICATION). */
export class EmailNotVerifiedError extends AppError {
  constructor() {
    super(
      'email_unverified',
      403,
      'Confirm your email address before creating links: follow the link we emailed you, or ask for a new one.',
    );
  }
}

/** A confirmation link that is unknown, used, expired, or for an address the account no longer has. */
export class InvalidVerificationTokenError extends AppError {
  constructor() {
    super(
      'invalid_verification_token',
      400,
      'This confirmation link no longer works: it was used, it expired, or your address changed since. Ask for a new one.',
    );
  }
}
