import { eq, sql } from 'drizzle-orm';
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
      changes: Partial<Pick<UserRow, 'email' | 'username'>>,
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

    async recordLogin(id: string, tx?: Transaction): Promise<void> {
      await (tx ?? db)
        .update(users)
        .set({ lastLoginAt: sql`now()` })
        .where(eq(users.id, id));
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
