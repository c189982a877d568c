import { COMMON_PASSWORDS } from './common-passwords.data.ts';

/** What a password is checked against besides itself. */
export interface PasswordContext {
  readonly minLength: number;
  readonly email?: string;
  readonly username?: string;
}

/** Above this ratio (0..1, as difflib's SequenceMatcher) a password is too similar. */
const MAX_SIMILARITY = 0.7;

let common: ReadonlySet<string> | undefined;

function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(COMMON_PASSWORDS.split('\n'));
  return common;
}

/** Characters both strings share in order (Ratcliff/Obershelp: longest block, then each side). */
function matchingCharacters(a: string, b: string): number {
  if (a.length === 0 || b.length === 0) return 0;
  let bestLength = 0;
  let bestA = 0;
  let bestB = 0;
  // lengths[j] = length of the common suffix of a[..i] and b[..j]
  let previous = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i += 1) {
    const lengths = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j += 1) {
      if (a[i - 1] === b[j - 1]) {
        const length = (previous[j - 1] ?? 0) + 1;
        lengths[j] = length;
        if (length > bestLength) {
          bestLength = length;
          bestA = i - length;
          bestB = j - length;
        }
      }
    }
    previous = lengths;
  }
  if (bestLength === 0) return 0;
  return (
    bestLength +
    matchingCharacters(a.slice(0, bestA), b.slice(0, bestB)) +
    matchingCharacters(a.slice(bestA + bestLength), b.slice(bestB + bestLength))
  );
}

/** Similarity ratio 2·M / (|a| + |b|), as Python's difflib computes it. */
export function similarity(a: string, b: string): number {
  const total = a.length + b.length;
  return total === 0 ? 1 : (2 * matchingCharacters(a, b)) / total;
}

/**
 * The value, an email's local part, and the word-like parts of both
 * (`bob.smith@example.com` → bob.smith, bob, smith, example, com…).
 */
function partsOf(value: string): string[] {
  const lower = value.toLowerCase();
  const at = lower.lastIndexOf('@');
  const local = at > 0 ? [lower.slice(0, at)] : [];
  return [lower, ...local, ...lower.split(/[^\p{L}\p{N}]+/u).filter((part) => part.length >= 3)];
}

function tooSimilar(password: string, value: string | undefined): boolean {
  if (!value) return false;
  const lower = password.toLowerCase();
  return partsOf(value).some((part) => similarity(lower, part) >= MAX_SIMILARITY);
}

/**
 * The password rules of SPEC §6: minimum length, not a common password, not all digits, not too
 * similar to the email address or username. Returns every message that applies (empty = valid).
 */
export function validatePassword(password: string, context: PasswordContext): string[] {
  const problems: string[] = [];
  // Counted in code points, so "é" or an emoji is one character, as people count them.
  if (Array.from(password).length < context.minLength) {
    problems.push(
      `This password is too short. It must contain at least ${context.minLength} characters.`,
    );
  }
  if (commonPasswords().has(password.trim().toLowerCase())) {
    problems.push('This password is too common.');
  }
  if (/^\d+$/.test(password)) problems.push('This password is entirely numeric.');
  if (tooSimilar(password, context.email)) {
    problems.push('This password is too similar to your email address.');
  }
  if (tooSimilar(password, context.username)) {
    problems.push('This password is too similar to your username.');
  }
  return problems;
}
