import { and, eq, gt, isNull, lte, sql } from 'drizzle-orm';
import type { Database, Transaction } from '#src/db/client.ts';
import { emailVerificationTokens, users } from '#src/db/schema.ts';

export type VerificationTokenRow = typeof emailVerificationTokens.$inferSelect;

/**
 * Unused, unexpired, and for the address its active account still has: a link sent before an
 * address change confirms nothing.
 */
function usable(tokenHash: string, now: Date) {
  return and(
    eq(emailVerificationTokens.tokenHash, tokenHash),
    isNull(emailVerificationTokens.usedAt),
    gt(emailVerificationTokens.expiresAt, now),
    eq(users.isActive, true),
    sql`lower(${users.email}) = lower(${emailVerificationTokens.email})`,
  );
}

export function createVerificationTokensRepository(db: Database) {
  return {
    async insert(
      values: { userId: string; email: string; tokenHash: string; expiresAt: Date },
      tx?: Transaction,
    ): Promise<VerificationTokenRow> {
      const [row] = await (tx ?? db).insert(emailVerificationTokens).values(values).returning();
      if (!row) throw new Error('verification token insert returned no row');
      return row;
    },

    /** The usable token that hashes to `tokenHash`, or null. */
    async findUsable(tokenHash: string, now: Date): Promise<VerificationTokenRow | null> {
      const [row] = await db
        .select({ token: emailVerificationTokens })
        .from(emailVerificationTokens)
        .innerJoin(users, eq(users.id, emailVerificationTokens.userId))
        .where(usable(tokenHash, now))
        .limit(1);
      return row?.token ?? null;
    },

    /**
     * Marks a usable token used, in one statement: of two concurrent submissions only one gets
     * the row back.
     */
    async consume(
      tokenHash: string,
      now: Date,
      tx?: Transaction,
    ): Promise<VerificationTokenRow | null> {
      const [row] = await (tx ?? db)
        .update(emailVerificationTokens)
        .set({ usedAt: now })
        .from(users)
        .where(and(eq(users.id, emailVerificationTokens.userId), usable(tokenHash, now)))
        .returning({
          id: emailVerificationTokens.id,
          tokenHash: emailVerificationTokens.tokenHash,
          userId: emailVerificationTokens.userId,
          email: emailVerificationTokens.email,
          expiresAt: emailVerificationTokens.expiresAt,
          usedAt: emailVerificationTokens.usedAt,
          createdAt: emailVerificationTokens.createdAt,
        });
      return row ?? null;
    },

    /** Voids a user's other links once one of them worked (or the address changed). */
    async deleteUnusedForUser(userId: string, tx?: Transaction): Promise<void> {
      await (tx ?? db)
        .delete(emailVerificationTokens)
        .where(
          and(eq(emailVerificationTokens.userId, userId), isNull(emailVerificationTokens.usedAt)),
        );
    },

    /** Deletes the tokens whose life is over at `now`, used or not; how many went. */
    async deleteExpired(now: Date): Promise<number> {
      const rows = await db
        .delete(emailVerificationTokens)
        .where(lte(emailVerificationTokens.expiresAt, now))
        .returning({ id: emailVerificationTokens.id });
      return rows.length;
    },
  };
}

export type VerificationTokensRepository = ReturnType<typeof createVerificationTokensRepository>;
