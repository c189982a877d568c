import { and, eq, lte, ne, or, sql } from 'drizzle-orm';
import type { Database, Transaction } from '#src/db/client.ts';
import { sessions, users } from '#src/db/schema.ts';

export type SessionRow = typeof sessions.$inferSelect;
export type UserRow = typeof users.$inferSelect;

export interface NewSession {
  readonly userId: string;
  readonly tokenHash: string;
  readonly csrfSecret: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
  readonly userAgent: string | null;
  readonly ip: string | null;
}

export function createSessionsRepository(db: Database) {
  return {
    async insert(values: NewSession, tx?: Transaction): Promise<SessionRow> {
      const [row] = await (tx ?? db).insert(sessions).values(values).returning();
      if (!row) throw new Error('session insert returned no row');
      return row;
    },

    /** The session and its user, in one round trip (this runs on every signed-in request). */
    async findByTokenHash(
      tokenHash: string,
      tx?: Transaction,
    ): Promise<{ session: SessionRow; user: UserRow } | null> {
      const [row] = await (tx ?? db)
        .select({ session: sessions, user: users })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(sessions.tokenHash, tokenHash))
        .limit(1);
      return row ?? null;
    },

    async touch(id: string, lastSeenAt: Date, expiresAt: Date, tx?: Transaction): Promise<void> {
      await (tx ?? db).update(sessions).set({ lastSeenAt, expiresAt }).where(eq(sessions.id, id));
    },

    async delete(id: string, tx?: Transaction): Promise<void> {
      await (tx ?? db).delete(sessions).where(eq(sessions.id, id));
    },

    /** Ends every session of a user, or all but one (the browser that asked). */
    async deleteForUser(
      userId: string,
      options: { exceptId?: string | null } = {},
      tx?: Transaction,
    ): Promise<number> {
      const rows = await (tx ?? db)
        .delete(sessions)
        .where(
          and(
            eq(sessions.userId, userId),
            options.exceptId ? ne(sessions.id, options.exceptId) : undefined,
          ),
        )
        .returning({ id: sessions.id });
      return rows.length;
    },

    async deleteExpiredForUser(userId: string, now: Date, tx?: Transaction): Promise<void> {
      await (tx ?? db)
        .delete(sessions)
        .where(and(eq(sessions.userId, userId), lte(sessions.expiresAt, now)));
    },

    /**
     * Deletes every session dead at `now`: past its stored expiry, or idle or open for longer than
     * the current limits allow (they may have been shortened since it was last touched). Returns
     * how many went.
     */
    async deleteExpired(
      now: Date,
      limits: { idleMs: number; maxAgeMs: number },
      tx?: Transaction,
    ): Promise<number> {
      const rows = await (tx ?? db)
        .delete(sessions)
        .where(
          or(
            lte(sessions.expiresAt, now),
            lte(sessions.lastSeenAt, new Date(now.getTime() - limits.idleMs)),
            lte(sessions.createdAt, new Date(now.getTime() - limits.maxAgeMs)),
          ),
        )
        .returning({ id: sessions.id });
      return rows.length;
    },

    async countForUser(userId: string, tx?: Transaction): Promise<number> {
      const [row] = await (tx ?? db)
        .select({ count: sql<number>`count(*)::int` })
        .from(sessions)
        .where(eq(sessions.userId, userId));
      return row?.count ?? 0;
    },
  };
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
