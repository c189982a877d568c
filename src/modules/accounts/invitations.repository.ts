import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Database, Transaction } from '#src/db/client.ts';
import { invitations, users } from '#src/db/schema.ts';

export type InvitationRow = typeof invitations.$inferSelect;

/** An invitation as the staff list shows it: who made it and who used it, by username. */
export interface ListedInvitationRow extends InvitationRow {
  readonly invitedByUsername: string | null;
  readonly usedByUsername: string | null;
}

/** Still usable at `now`: not used, not revoked, not expired. */
function pending(now: Date) {
  return and(
    isNull(invitations.usedAt),
    isNull(invitations.revokedAt),
    gt(invitations.expiresAt, now),
  );
}

export function createInvitationsRepository(db: Database) {
  return {
    async insert(
      values: { email: string; invitedBy: string | null; expiresAt: Date },
      tx?: Transaction,
    ): Promise<InvitationRow> {
      const [row] = await (tx ?? db).insert(invitations).values(values).returning();
      if (!row) throw new Error('invitation insert returned no row');
      return row;
    },

    async findById(id: string, tx?: Transaction): Promise<InvitationRow | null> {
      const [row] = await (tx ?? db).select().from(invitations).where(eq(invitations.id, id));
      return row ?? null;
    },

    /** The newest `limit` invitations, with the usernames of their maker and their user. */
    async listRecent(limit: number): Promise<ListedInvitationRow[]> {
      const inviter = alias(users, 'inviter');
      const invitee = alias(users, 'invitee');
      const rows = await db
        .select({
          invitation: invitations,
          invitedByUsername: inviter.username,
          usedByUsername: invitee.username,
        })
        .from(invitations)
        .leftJoin(inviter, eq(inviter.id, invitations.invitedBy))
        .leftJoin(invitee, eq(invitee.id, invitations.usedBy))
        .orderBy(desc(invitations.createdAt), desc(invitations.id))
        .limit(limit);
      return rows.map((row) => ({
        ...row.invitation,
        invitedByUsername: row.invitedByUsername,
        usedByUsername: row.usedByUsername,
      }));
    },

    /**
     * Gives a still-pending invitation the hash of a fresh token (the email job's, replacing an
     * earlier attempt's); the row, or null when it was used, revoked or expired meanwhile.
     */
    async setTokenHash(id: string, tokenHash: string, now: Date): Promise<InvitationRow | null> {
      const [row] = await db
        .update(invitations)
        .set({ tokenHash })
        .where(and(eq(invitations.id, id), pending(now)))
        .returning();
      return row ?? null;
    },

    /** The pending invitation whose token hashes to `tokenHash`, or null. */
    async findPendingByToken(
      tokenHash: string,
      now: Date,
      tx?: Transaction,
    ): Promise<InvitationRow | null> {
      const [row] = await (tx ?? db)
        .select()
        .from(invitations)
        .where(and(eq(invitations.tokenHash, tokenHash), pending(now)))
        .limit(1);
      return row ?? null;
    },

    /**
     * Marks the invitation used by `userId` if it is still pending, in one statement: of two
     * concurrent sign-ups with one link only one gets the row back.
     */
    async consume(
      tokenHash: string,
      userId: string,
      now: Date,
      tx?: Transaction,
    ): Promise<InvitationRow | null> {
      const [row] = await (tx ?? db)
        .update(invitations)
        .set({ usedAt: now, usedBy: userId })
        .where(and(eq(invitations.tokenHash, tokenHash), pending(now)))
        .returning();
      return row ?? null;
    },

    /** Revokes one pending invitation; null when there is none by that id still pending. */
    async revoke(id: string, now: Date): Promise<InvitationRow | null> {
      const [row] = await db
        .update(invitations)
        .set({ revokedAt: now })
        .where(and(eq(invitations.id, id), pending(now)))
        .returning();
      return row ?? null;
    },

    /** Revokes every pending invitation to an address (case-insensitively); how many. */
    async revokePendingFor(email: string, now: Date, tx?: Transaction): Promise<number> {
      const rows = await (tx ?? db)
        .update(invitations)
        .set({ revokedAt: now })
        .where(and(sql`lower(${invitations.email}) = lower(${email})`, pending(now)))
        .returning({ id: invitations.id });
      return rows.length;
    },
  };
}

export type InvitationsRepository = ReturnType<typeof createInvitationsRepository>;
