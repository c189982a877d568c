import { randomBytes } from 'node:crypto';

/** Generated codes use these 62 characters; codes are case-sensitive, so `aB3` and `ab3` differ. */
export const CODE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** 62^7 ≈ 3.5 × 10^12 codes: collisions stay rare for millions of links, and are retried. */
export const CODE_LENGTH = 7;

// The largest multiple of 62 that fits a byte: bytes at or above it are rejected, so every
// character is equally likely (a plain `byte % 62` would favour the first 8 characters).
const ACCEPT_BELOW = 256 - (256 % CODE_ALPHABET.length);

/**
 * A random code from a CSPRNG by rejection sampling. `random` is injectable so a test can
 * prove that rejected bytes are skipped.
 */
export function generateCode(
  length: number = CODE_LENGTH,
  random: (size: number) => Uint8Array = randomBytes,
): string {
  let code = '';
  while (code.length < length) {
    // A few spare bytes per draw, as about 3% of bytes are rejected.
    for (const byte of random(length + 4)) {
      if (byte >= ACCEPT_BELOW) continue;
      code += CODE_ALPHABET.charAt(byte % CODE_ALPHABET.length);
      if (code.length === length) break;
    }
  }
  return code;
}
