import { randomBytes } from 'node:crypto';
import type { Database } from '#src/db/client.ts';
import { links, users } from '#src/db/schema.ts';
import { hashPassword, type ApiTokensService } from '#src/modules/accounts/index.ts';

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

/** The password of every fixture user unless a test picks one. */
export const FIXTURE_PASSWORD = 'correct horse battery staple';
let fixtureHash: Promise<string> | undefined;

/**
 * Inserts a user row directly, with a real Argon2id hash so the user can log in through the
 * pages (hashed once per process for the shared password: Argon2id is slow on purpose).
 */
export async function createUser(
  db: Database,
  overrides: Partial<{
    email: string;
    username: string;
    isStaff: boolean;
    isActive: boolean;
    password: string;
    /** A ready-made hash (e.g. with old parameters); `password` must be what it hashes. */
    passwordHash: string;
  }> = {},
): Promise<UserFixture> {
  const suffix = unique();
  const password = overrides.password ?? FIXTURE_PASSWORD;
  fixtureHash ??= hashPassword(FIXTURE_PASSWORD);
  const passwordHash =
    overrides.passwordHash ??
    (overrides.password === undefined ? await fixtureHash : await hashPassword(password));
  const [row] = await db
    .insert(users)
    .values({
      email: overrides.email ?? `user-${suffix}@example.com`,
      username: overrides.username ?? `user_${suffix}`.slice(0, 30).toLowerCase(),
      passwordHash,
      isStaff: overrides.isStaff ?? false,
      isActive: overrides.isActive ?? true,
    })
    .returning();
  if (!row) throw new Error('user insert returned nothing');
  return { id: row.id, email: row.email, username: row.username, password };
}

export interface LinkFixture {
  readonly id: string;
  readonly code: string;
  readonly slug: string | null;
  readonly targetUrl: string;
}

/**
 * Inserts a link row directly (no validation, no cache invalidation), creating its owner when
 * none is given. Tests of the rules themselves go through the links service instead.
 */
export async function createLink(
  db: Database,
  overrides: Partial<{
    ownerId: string;
    code: string;
    slug: string | null;
    targetUrl: string;
    title: string | null;
    redirectStatus: number;
    disabled: boolean;
    expiresAt: Date | null;
    createdAt: Date;
  }> = {},
): Promise<LinkFixture> {
  const ownerId = overrides.ownerId ?? (await createUser(db)).id;
  const suffix = unique();
  const [row] = await db
    .insert(links)
    .values({
      ...overrides,
      ownerId,
      code: overrides.code ?? `t${suffix}`.slice(0, 64),
      targetUrl: overrides.targetUrl ?? `https://example.com/${suffix}`,
    })
    .returning();
  if (!row) throw new Error('link insert returned nothing');
  return { id: row.id, code: row.code, slug: row.slug, targetUrl: row.targetUrl };
}

/**
 * An API token for `userId`, made by the accounts service as `/settings/tokens` makes it;
 * returns the bearer secret (shown once) and the token's id.
 */
export async function createApiToken(
  apiTokens: Pick<ApiTokensService, 'create'>,
  userId: string,
  scopes: readonly string[] = ['links:read', 'links:write'],
): Promise<{ token: string; id: string; authorization: string }> {
  const { token, apiToken } = await apiTokens.create(userId, { name: `test ${unique()}`, scopes });
  return { token, id: apiToken.id, authorization: `Bearer ${token}` };
}
