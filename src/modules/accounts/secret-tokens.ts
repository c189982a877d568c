import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL- and cookie-safe. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * What the database keeps of a session, reset or API token. A plain SHA-256 suffices: the
 * tokens are 256 random bits, so there is nothing to brute-force, and lookups stay one index hit.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
