import { and, eq, sql } from 'drizzle-orm';
import type { Database, Transaction } from '#src/db/client.ts';
import { users } from '#src/db/schema.ts';

export type UserRow = typeof users.$inferSelect;

/** A write either lands or names the unique field it collided with. */
export type UserWriteResult =
  | { readonly ok: true; readonly user: UserRow }
  | { readonly ok: false; readonly conflict: 'email' | 'username' };

const CONSTRAINT_FIELDS: Readonly<Record<string, 'email' | 'username'>> = {
  users_email_lower_key: 'email',
  users_username_key: 'username',
};

/** Drizzle wraps the driver's error; both pg and PGlite carry the SQLSTATE and constraint. */
function conflictOf(error: unknown): 'email' | 'username' | null {
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code, constraint } = current as { code?: unknown; constraint?: unknown };
    if (code === '23505' && typeof constraint === 'string') {
      return CONSTRAINT_FIELDS[constraint] ?? null;
    }
  }
  return null;
}

async function attempt(write: () => Promise<UserRow | undefined>): Promise<UserWriteResult> {
  try {
    const user = await write();
    if (!user) throw new Error('user write returned no row');
    return { ok: true, user };
  } catch (error) {
    const conflict = conflictOf(error);
    if (conflict) return { ok: false, conflict };
    throw error;
  }
}

export interface NewUser {
  readonly email: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly isStaff?: boolean;
  /** Null while the address waits for confirmation; every caller decides (decision 0027). */
  readonly emailVerifiedAt: Date | null;
}

export function createUsersRepository(db: Database) {
  return {
    insert(values: NewUser, tx?: Transaction): Promise<UserWriteResult> {
      return attempt(async () => {
        const [row] = await (tx ?? db).insert(users).values(values).returning();
        return row;
      });
    },

    async findById(id: string, tx?: Transaction): Promise<UserRow | null> {
      const [row] = await (tx ?? db).select().from(users).where(eq(users.id, id));
      return row ?? null;
    },

    /** Case-insensitive, as the unique index on lower(email) is. */
    async findByEmail(email: string, tx?: Transaction): Promise<UserRow | null> {
      const [row] = await (tx ?? db)
        .select()
        .from(users)
        .where(sql`lower(${users.email}) = lower(${email})`);
      return row ?? null;
    },

    async findByUsername(username: string, tx?: Transaction): Promise<UserRow | null> {
      const [row] = await (tx ?? db).select().from(users).where(eq(users.username, username));
      return row ?? null;
    },

    update(
      id: string,
      changes: Partial<Pick<UserRow, 'email' | 'username' | 'emailVerifiedAt'>>,
      tx?: Transaction,
    ): Promise<UserWriteResult> {
      return attempt(async () => {
        const [row] = await (tx ?? db)
          .update(users)
          .set({ ...changes, updatedAt: sql`now()` })
          .where(eq(users.id, id))
          .returning();
        return row;
      });
    },

    async setPasswordHash(id: string, passwordHash: string, tx?: Transaction): Promise<void> {
      await (tx ?? db)
        .update(users)
        .set({ passwordHash, updatedAt: sql`now()` })
        .where(eq(users.id, id));
    },

    /**
     * Deletes the account and, by the foreign keys' cascades, its sessions, reset and API tokens
     * and links (whose clicks and rollups go with them: migration 0003's trigger and the rollups'
     * cascades). The deleted row, or null when there was none.
     */
    async delete(id: string, tx?: Transaction): Promise<UserRow | null> {
      const [row] = await (tx ?? db).delete(users).where(eq(users.id, id)).returning();
      return row ?? null;
    },

    /**
     * Records that `email` is confirmed, if the account still has that address (an address
     * change since the link was sent confirms nothing). Whether the row changed.
     */
    async markEmailVerified(
      id: string,
      email: string,
      at: Date,
      tx?: Transaction,
    ): Promise<boolean> {
      const rows = await (tx ?? db)
        .update(users)
        .set({ emailVerifiedAt: at })
        .where(and(eq(users.id, id), sql`lower(${users.email}) = lower(${email})`))
        .returning({ id: users.id });
      return rows.length > 0;
    },

    async recordLogin(id: string, tx?: Transaction): Promise<void> {
      await (tx ?? db)
        .update(users)
        .set({ lastLoginAt: sql`now()` })
        .where(eq(users.id, id));
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
