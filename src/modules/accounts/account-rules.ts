import { isReservedWord } from '#src/modules/links/index.ts';

/** A problem with one input field; ValidationError carries a list of them as `details`. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export const USERNAME_PATTERN = /^[a-z0-9_-]{3,30}$/;
const EMAIL_MAX_LENGTH = 254;
// Deliberately loose: one @, something on each side, a dot in the domain, no spaces. The email
// sent to the address is the real test.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Emails keep their case (the local part may be case-sensitive) but lose surrounding spaces. */
export function normalizeEmail(email: string): string {
  return email.trim();
}

/** Usernames are lowercase: `Bob` and `bob` would otherwise be two people at one address. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

export function emailProblem(email: string): string | null {
  if (email === '') return 'Enter your email address.';
  if (email.length > EMAIL_MAX_LENGTH || !EMAIL_SHAPE.test(email)) {
    return 'Enter a valid email address, like name@example.com.';
  }
  return null;
}

/**
 * The username becomes the first segment of `/<username>/<slug>` links, so it must not be one
 * of the routes' words (`api`, `accounts`, `static`…), which the links module keeps.
 */
export function usernameProblem(
  username: string,
  extraReserved?: ReadonlySet<string>,
): string | null {
  if (username === '') return 'Choose a username.';
  if (!USERNAME_PATTERN.test(username)) {
    return 'Use 3 to 30 characters: lowercase letters, digits, hyphens (-) or underscores (_).';
  }
  if (isReservedWord(username, extraReserved)) return 'This username is reserved; choose another.';
  return null;
}
