import { and, eq, gt, isNull, lte } from 'drizzle-orm';
import type { Database, Transaction } from '#src/db/client.ts';
import { passwordResetTokens, users } from '#src/db/schema.ts';

export type ResetTokenRow = typeof passwordResetTokens.$inferSelect;
type UserRow = typeof users.$inferSelect;

export function createResetTokensRepository(db: Database) {
  return {
    async insert(
      values: { userId: string; tokenHash: string; expiresAt: Date },
      tx?: Transaction,
    ): Promise<ResetTokenRow> {
      const [row] = await (tx ?? db).insert(passwordResetTokens).values(values).returning();
      if (!row) throw new Error('reset token insert returned no row');
      return row;
    },

    /** An unused, unexpired token and its active user, or null. */
    async findUsable(
      tokenHash: string,
      now: Date,
      tx?: Transaction,
    ): Promise<{ token: ResetTokenRow; user: UserRow } | null> {
      const [row] = await (tx ?? db)
        .select({ token: passwordResetTokens, user: users })
        .from(passwordResetTokens)
        .innerJoin(users, eq(users.id, passwordResetTokens.userId))
        .where(
          and(
            eq(passwordResetTokens.tokenHash, tokenHash),
            isNull(passwordResetTokens.usedAt),
            gt(passwordResetTokens.expiresAt, now),
            eq(users.isActive, true),
          ),
        )
        .limit(1);
      return row ?? null;
    },

    /**
     * Marks a token used if it still is usable, in one statement: of two concurrent submissions
     * only one gets the row back.
     */
    async consume(tokenHash: string, now: Date, tx?: Transaction): Promise<ResetTokenRow | null> {
      const [row] = await (tx ?? db)
        .update(passwordResetTokens)
        .set({ usedAt: now })
        .where(
          and(
            eq(passwordResetTokens.tokenHash, tokenHash),
            isNull(passwordResetTokens.usedAt),
            gt(passwordResetTokens.expiresAt, now),
          ),
        )
        .returning();
      return row ?? null;
    },

    /**
     * Deletes the tokens whose life is over at `now`, used or not (a used one is kept until then
     * like any other, then it is just as dead). Returns how many went.
     */
    async deleteExpired(now: Date, tx?: Transaction): Promise<number> {
      const rows = await (tx ?? db)
        .delete(passwordResetTokens)
        .where(lte(passwordResetTokens.expiresAt, now))
        .returning({ id: passwordResetTokens.id });
      return rows.length;
    },

    /** Voids a user's outstanding links (their password changed, so they are moot). */
    async deleteUnusedForUser(userId: string, tx?: Transaction): Promise<void> {
      await (tx ?? db)
        .delete(passwordResetTokens)
        .where(and(eq(passwordResetTokens.userId, userId), isNull(passwordResetTokens.usedAt)));
    },
  };
}

export type ResetTokensRepository = ReturnType<typeof createResetTokensRepository>;
