import { sql } from 'drizzle-orm';
import { rawRows, type Database, type Transaction } from '#src/db/client.ts';
import type { clicks } from '#src/db/schema.ts';

/** A parsed click, ready to store. */
export type ClickValues = typeof clicks.$inferInsert;

/**
 * One statement for the whole batch, whatever its size (decision 0014): the rows travel as one
 * JSON parameter that PostgreSQL unpacks (json_to_recordset), so there is nothing per row to
 * bind or plan, and the statement is atomic without a transaction's extra round trips.
 *
 * It first locks the batch's links, in id order, until it ends, and inserts only clicks of links
 * it locked: a link deleted meanwhile drops its clicks instead of leaving orphans (clicks have no
 * foreign key, migration 0003; a link's deletion waits for the lock, then its trigger deletes
 * the clicks). Event ids already stored are skipped (a redelivered batch inserts nothing twice);
 * the `clicks_roll_up` trigger updates the daily rollups in the same statement. The count
 * replaces a RETURNING of every id.
 *
 * The lock's strength depends on who commits:
 * - On its own (the worker's case), the statement is its own transaction and takes its locks in
 *   one global order: event ids sorted, then the rollup tables' rows in key order (the trigger
 *   sorts them). Two such statements cannot deadlock, so they share the link lock: batches of
 *   one link insert their clicks side by side and wait for each other only on the few rollup
 *   rows at the end.
 * - In a caller's transaction, earlier statements may already hold rollup rows while this one
 *   inserts clicks, which breaks that order; such a batch takes the link exclusively (no key
 *   update), so every other batch of the link waits for its transaction instead of deadlocking
 *   with it.
 */
function insertStatement(rows: readonly ClickValues[], inCallersTransaction: boolean) {
  const lock = inCallersTransaction ? sql`for no key update` : sql`for share`;
  const payload = JSON.stringify(
    rows.map((row) => ({
      event_id: row.eventId,
      link_id: row.linkId,
      clicked_at: row.clickedAt.toISOString(),
      referrer: row.referrer ?? null,
      referrer_host: row.referrerHost ?? null,
      browser: row.browser ?? null,
      os: row.os ?? null,
      device: row.device ?? null,
      is_bot: row.isBot ?? false,
      ip: row.ip ?? null,
      visitor_hash: row.visitorHash ?? null,
    })),
  );
  return sql`
    with batch as (
      select * from json_to_recordset(${payload}::json) as row(
        event_id uuid, link_id uuid, clicked_at timestamptz, referrer text, referrer_host text,
        browser text, os text, device text, is_bot boolean, ip text, visitor_hash text)
    ),
    live as (
      select id from links where id in (select link_id from batch)
      order by id ${lock}
    ),
    inserted as (
      insert into clicks (event_id, link_id, clicked_at, referrer, referrer_host, browser, os,
                          device, is_bot, ip, visitor_hash)
      select event_id, link_id, clicked_at, referrer, referrer_host, browser, os,
             device, is_bot, ip, visitor_hash
      from batch where link_id in (select id from live)
      order by event_id
      on conflict (event_id) do nothing
      returning 1
    )
    select count(*)::int as inserted from inserted`;
}

export function createClicksRepository(db: Database) {
  return {
    /**
     * Stores clicks idempotently (see insertStatement), in `tx` when given. Returns how many
     * rows were inserted.
     */
    async insertMany(rows: readonly ClickValues[], tx?: Transaction): Promise<number> {
      if (rows.length === 0) return 0;
      const [result] = await rawRows<{ inserted: number }>(
        tx ?? db,
        insertStatement(rows, tx !== undefined),
      );
      return result?.inserted ?? 0;
    },
  };
}

export type ClicksRepository = ReturnType<typeof createClicksRepository>;
