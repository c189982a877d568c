import { and, desc, eq, isNull, lt, or } from 'drizzle-orm';
import type { Database, Transaction } from '#src/db/client.ts';
import { apiTokens, users } from '#src/db/schema.ts';

export type ApiTokenRow = typeof apiTokens.$inferSelect;
type UserRow = typeof users.$inferSelect;

export interface NewApiToken {
  readonly name: string;
  readonly prefix: string;
  readonly tokenHash: string;
  readonly scopes: string[];
}

export function createApiTokensRepository(db: Database) {
  return {
    async insert(userId: string, values: NewApiToken, tx?: Transaction): Promise<ApiTokenRow> {
      const [row] = await (tx ?? db)
        .insert(apiTokens)
        .values({ userId, ...values })
        .returning();
      if (!row) throw new Error('API token insert returned no row');
      return row;
    },

    /** A user's tokens, newest first, revoked ones included (the page shows them as such). */
    listForUser(userId: string, tx?: Transaction): Promise<ApiTokenRow[]> {
      return (tx ?? db)
        .select()
        .from(apiTokens)
        .where(eq(apiTokens.userId, userId))
        .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
    },

    /** The token and its owner; revocation and activity are the caller's to judge. */
    async findByTokenHash(
      tokenHash: string,
      tx?: Transaction,
    ): Promise<{ token: ApiTokenRow; user: UserRow } | null> {
      const [row] = await (tx ?? db)
        .select({ token: apiTokens, user: users })
        .from(apiTokens)
        .innerJoin(users, eq(users.id, apiTokens.userId))
        .where(eq(apiTokens.tokenHash, tokenHash))
        .limit(1);
      return row ?? null;
    },

    /** Tokens whose prefix matches, with their owner's email (for the `token revoke` command). */
    findByPrefix(
      prefix: string,
      tx?: Transaction,
    ): Promise<{ token: ApiTokenRow; email: string }[]> {
      return (tx ?? db)
        .select({ token: apiTokens, email: users.email })
        .from(apiTokens)
        .innerJoin(users, eq(users.id, apiTokens.userId))
        .where(eq(apiTokens.prefix, prefix));
    },

    /** Null when the user has no such token; an already revoked token keeps its first date. */
    async revoke(
      userId: string,
      id: string,
      now: Date,
      tx?: Transaction,
    ): Promise<ApiTokenRow | null> {
      const [updated] = await (tx ?? db)
        .update(apiTokens)
        .set({ revokedAt: now })
        .where(and(eq(apiTokens.userId, userId), eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
        .returning();
      if (updated) return updated;
      const [existing] = await (tx ?? db)
        .select()
        .from(apiTokens)
        .where(and(eq(apiTokens.userId, userId), eq(apiTokens.id, id)));
      return existing ?? null;
    },

    /** Records use, at most once per `interval`: a busy script must not write on every call. */
    async touchLastUsed(
      id: string,
      now: Date,
      intervalMs: number,
      tx?: Transaction,
    ): Promise<void> {
      await (tx ?? db)
        .update(apiTokens)
        .set({ lastUsedAt: now })
        .where(
          and(
            eq(apiTokens.id, id),
            or(
              isNull(apiTokens.lastUsedAt),
              lt(apiTokens.lastUsedAt, new Date(now.getTime() - intervalMs)),
            ),
          ),
        );
    },
  };
}

export type ApiTokensRepository = ReturnType<typeof createApiTokensRepository>;
