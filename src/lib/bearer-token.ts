import { createHash, timingSafeEqual } from 'node:crypto';

const BEARER = /^Bearer +(\S+) *$/i;

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether an `Authorization` header carries `Bearer <expected>`. Both sides are hashed first:
 * digests have one length, so neither the comparison's time nor a length check says anything
 * about the expected token.
 */
export function bearerTokenMatches(header: string | undefined, expected: string): boolean {
  const given = header === undefined ? undefined : BEARER.exec(header)?.[1];
  const matches = timingSafeEqual(digest(given ?? ''), digest(expected));
  return given !== undefined && matches;
}
