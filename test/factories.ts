import { randomBytes } from 'node:crypto';
import type { Database } from '#src/db/client.ts';
import { users } from '#src/db/schema.ts';

let sequence = 0;

/** A unique suffix, so tests isolate themselves by fresh rows instead of truncating tables. */
export function unique(): string {
  sequence += 1;
  return `${Date.now().toString(36)}${sequence}${randomBytes(2).toString('hex')}`;
}

export interface UserFixture {
  readonly id: string;
  readonly email: string;
  readonly username: string;
  readonly password: string;
}

/**
 * Inserts a user row directly. The accounts module replaces the stand-in hash with a real
 * Argon2id hash (so the user can log in) once it exists.
 */
export async function createUser(db: Database, overrides: Partial<{ email: string; username: string; isStaff: boolean }> = {}): Promise<UserFixture> {
  const suffix = unique();
  const password = `correct horse battery ${suffix}`;
  const [row] = await db
    .insert(users)
    .values({
      email: overrides.email ?? `user-${suffix}@example.com`,
      username: overrides.username ?? `user_${suffix}`.slice(0, 30).toLowerCase(),
      passwordHash: 'not-a-real-hash',
      isStaff: overrides.isStaff ?? false,
    })
    .returning();
  if (!row) throw new Error('user insert returned nothing');
  return { id: row.id, email: row.email, username: row.username, password };
}
