import argon2 from 'argon2';

/** Argon2id cost parameters (memoryCost in KiB). */
export interface HashParameters {
  readonly timeCost: number;
  readonly memoryCost: number;
  readonly parallelism: number;
}

/** OWASP's Argon2id recommendation: 19 MiB, 2 iterations, 1 lane (~20 ms on a server core). */
export const PASSWORD_HASH_PARAMETERS: HashParameters = Object.freeze({
  timeCost: 2,
  memoryCost: 19_456,
  parallelism: 1,
});

export function hashPassword(
  password: string,
  parameters: HashParameters = PASSWORD_HASH_PARAMETERS,
): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, ...parameters });
}

/** True when `password` matches `hash`; false for a wrong password or an unreadable hash. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** Whether a stored hash was made with another algorithm or other parameters than today's. */
export function passwordNeedsRehash(
  hash: string,
  parameters: HashParameters = PASSWORD_HASH_PARAMETERS,
): boolean {
  if (!hash.startsWith('$argon2id$')) return true;
  try {
    return argon2.needsRehash(hash, parameters);
  } catch {
    return true;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies against a throwaway hash, so a login for an unknown user costs as much time as one
 * for a known user and timing does not tell which accounts exist.
 */
export async function spendVerifyTime(password: string): Promise<void> {
  dummyHash ??= hashPassword('hoplink-timing-equaliser');
  await verifyPassword(await dummyHash, password);
}
