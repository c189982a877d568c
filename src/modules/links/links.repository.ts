import { and, desc, eq, getTableColumns, ilike, or, sql } from 'drizzle-orm';
import type { Database, Transaction } from '#src/db/client.ts';
import { links, users } from '#src/db/schema.ts';

export type LinkRow = typeof links.$inferSelect;

/** The columns a create sets; `disabled` joins them on update. */
export interface LinkValues {
  readonly code: string;
  readonly slug: string | null;
  readonly targetUrl: string;
  readonly title: string | null;
  readonly redirectStatus: number;
  readonly expiresAt: Date | null;
}

export type LinkChangesRow = Partial<LinkValues> & { readonly disabled?: boolean };

/** A write either lands or names the unique address it collided with. */
export type LinkWriteResult =
  | { readonly ok: true; readonly link: LinkRow }
  | { readonly ok: false; readonly conflict: 'code' | 'slug' };

/** Where a page ends in the (created_at desc, id desc) order; created_at to the microsecond. */
export interface LinkPosition {
  readonly createdAt: string;
  readonly id: string;
}

/** What the redirect needs of a live link, and nothing else. */
export interface RedirectRow {
  readonly linkId: string;
  readonly targetUrl: string;
  readonly redirectStatus: number;
  readonly expiresAt: Date | null;
}

const CONSTRAINT_FIELDS: Readonly<Record<string, 'code' | 'slug'>> = {
  links_code_key: 'code',
  links_owner_slug_key: 'slug',
};

/** Drizzle wraps the driver's error; both pg and PGlite carry the SQLSTATE and constraint. */
function conflictOf(error: unknown): 'code' | 'slug' | null {
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code, constraint } = current as { code?: unknown; constraint?: unknown };
    if (code === '23505' && typeof constraint === 'string') {
      return CONSTRAINT_FIELDS[constraint] ?? null;
    }
  }
  return null;
}

async function attempt(write: () => Promise<LinkRow | undefined>): Promise<LinkWriteResult | null> {
  try {
    const link = await write();
    return link ? { ok: true, link } : null;
  } catch (error) {
    const conflict = conflictOf(error);
    if (conflict) return { ok: false, conflict };
    throw error;
  }
}

// ISO 8601 with microseconds: a JavaScript Date would cut created_at to milliseconds and make the
// keyset comparison skip or repeat rows created within the same millisecond.
const positionText = sql<string>`to_char(${links.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

const redirectColumns = {
  linkId: links.id,
  targetUrl: links.targetUrl,
  redirectStatus: links.redirectStatus,
  expiresAt: links.expiresAt,
};

export function createLinksRepository(db: Database) {
  return {
    /** Inserts a link, or reports which unique address (code, or slug for this owner) is taken. */
    async insert(ownerId: string, values: LinkValues, tx?: Transaction): Promise<LinkWriteResult> {
      const result = await attempt(async () => {
        const [row] = await (tx ?? db)
          .insert(links)
          .values({ ownerId, ...values })
          .returning();
        return row;
      });
      if (!result) throw new Error('link insert returned no row');
      return result;
    },

    /** Null when the owner has no such link. */
    async update(
      ownerId: string,
      id: string,
      changes: LinkChangesRow,
      tx?: Transaction,
    ): Promise<LinkWriteResult | null> {
      return attempt(async () => {
        const [row] = await (tx ?? db)
          .update(links)
          .set({ ...changes, updatedAt: sql`now()` })
          .where(and(eq(links.ownerId, ownerId), eq(links.id, id)))
          .returning();
        return row;
      });
    },

    /** The deleted row (its clicks go with it), or null when the owner has no such link. */
    async delete(ownerId: string, id: string, tx?: Transaction): Promise<LinkRow | null> {
      const [row] = await (tx ?? db)
        .delete(links)
        .where(and(eq(links.ownerId, ownerId), eq(links.id, id)))
        .returning();
      return row ?? null;
    },

    async findOwned(ownerId: string, id: string, tx?: Transaction): Promise<LinkRow | null> {
      const [row] = await (tx ?? db)
        .select()
        .from(links)
        .where(and(eq(links.ownerId, ownerId), eq(links.id, id)))
        .limit(1);
      return row ?? null;
    },

    /**
     * Newest first, keyset-paginated on (created_at, id) so pages never skip or repeat rows
     * while links are added; `search` matches title, code and target case-insensitively.
     */
    async list(
      ownerId: string,
      options: { search: string | null; after: LinkPosition | null; limit: number },
      tx?: Transaction,
    ): Promise<{ link: LinkRow; position: LinkPosition }[]> {
      const pattern = options.search === null ? null : `%${escapeLike(options.search)}%`;
      const rows = await (tx ?? db)
        .select({ ...getTableColumns(links), positionAt: positionText })
        .from(links)
        .where(
          and(
            eq(links.ownerId, ownerId),
            pattern === null
              ? undefined
              : or(
                  ilike(links.title, pattern),
                  ilike(links.code, pattern),
                  ilike(links.targetUrl, pattern),
                ),
            options.after === null
              ? undefined
              : sql`(${links.createdAt}, ${links.id}) < (${options.after.createdAt}::timestamptz, ${options.after.id}::uuid)`,
          ),
        )
        .orderBy(desc(links.createdAt), desc(links.id))
        .limit(options.limit);
      return rows.map(({ positionAt, ...link }) => ({
        link,
        position: { createdAt: positionAt, id: link.id },
      }));
    },

    /** An enabled link of an active owner by its code; expiry is the caller's to judge. */
    async findRedirectByCode(code: string, tx?: Transaction): Promise<RedirectRow | null> {
      const [row] = await (tx ?? db)
        .select(redirectColumns)
        .from(links)
        .innerJoin(users, eq(users.id, links.ownerId))
        .where(and(eq(links.code, code), eq(links.disabled, false), eq(users.isActive, true)))
        .limit(1);
      return row ?? null;
    },

    /** As findRedirectByCode, for /<username>/<slug>. */
    async findRedirectBySlug(
      username: string,
      slug: string,
      tx?: Transaction,
    ): Promise<RedirectRow | null> {
      const [row] = await (tx ?? db)
        .select(redirectColumns)
        .from(links)
        .innerJoin(users, eq(users.id, links.ownerId))
        .where(
          and(
            eq(users.username, username),
            eq(links.slug, slug),
            eq(links.disabled, false),
            eq(users.isActive, true),
          ),
        )
        .limit(1);
      return row ?? null;
    },

    async usernameOf(ownerId: string, tx?: Transaction): Promise<string | null> {
      const [row] = await (tx ?? db)
        .select({ username: users.username })
        .from(users)
        .where(eq(users.id, ownerId))
        .limit(1);
      return row?.username ?? null;
    },
  };
}

export type LinksRepository = ReturnType<typeof createLinksRepository>;
