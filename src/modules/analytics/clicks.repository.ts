import { inArray } from 'drizzle-orm';
import type { Database, Transaction } from '#src/db/client.ts';
import { clicks, links } from '#src/db/schema.ts';

/** A parsed click, ready to store. */
export type ClickValues = Omit<typeof clicks.$inferInsert, 'id'>;

// 11 columns a row keeps one statement well under PostgreSQL's 65 535 parameters.
const ROWS_PER_STATEMENT = 1_000;

export function createClicksRepository(db: Database) {
  async function insertIn(executor: Transaction, rows: readonly ClickValues[]): Promise<number> {
    const linkIds = [...new Set(rows.map((row) => row.linkId))];
    // Locking the links (in id order) until commit keeps them from being deleted before the
    // insert (whose foreign key would then fail the whole batch), and makes two batches of one
    // link take turns: otherwise each could hold rollup rows the other needs, a deadlock.
    // Redirects only read links; an edit of the link waits for the batch, milliseconds.
    const existing = await executor
      .select({ id: links.id })
      .from(links)
      .where(inArray(links.id, linkIds))
      .orderBy(links.id)
      .for('no key update');
    const live = new Set(existing.map((link) => link.id));
    const kept = rows.filter((row) => live.has(row.linkId));
    let inserted = 0;
    for (let start = 0; start < kept.length; start += ROWS_PER_STATEMENT) {
      const result = await executor
        .insert(clicks)
        .values(kept.slice(start, start + ROWS_PER_STATEMENT))
        .onConflictDoNothing({ target: clicks.eventId })
        .returning({ id: clicks.id });
      inserted += result.length;
    }
    return inserted;
  }

  return {
    /**
     * Stores clicks, ignoring event ids already stored (a redelivered batch inserts nothing
     * twice) and clicks of links deleted meanwhile (whose foreign key would fail the batch).
     * All in one transaction (`tx`, or one of its own); the daily rollups the stats read are
     * updated with it by the `clicks_roll_up` trigger. Returns how many rows were inserted.
     */
    async insertMany(rows: readonly ClickValues[], tx?: Transaction): Promise<number> {
      if (rows.length === 0) return 0;
      return tx ? insertIn(tx, rows) : db.transaction((own) => insertIn(own, rows));
    },
  };
}

export type ClicksRepository = ReturnType<typeof createClicksRepository>;
