import { sql } from 'drizzle-orm';
import { rawRows, type Database, type Transaction } from '#src/db/client.ts';
import type { clicks } from '#src/db/schema.ts';

/** A parsed click, ready to store. */
export type ClickValues = Omit<typeof clicks.$inferInsert, 'id'>;

/**
 * One statement for the whole batch, whatever its size (decision 0014): the rows travel as one
 * JSON parameter that PostgreSQL unpacks (json_to_recordset), so there is nothing per row to
 * bind or plan, and the statement is atomic without a transaction's extra round trips.
 *
 * It first locks the batch's links in id order until it ends: a link deleted meanwhile drops
 * its clicks instead of failing the whole batch on the foreign key, and two batches of one link
 * take turns instead of each holding rollup rows the other needs (a deadlock). Redirects only
 * read links; an edit of one waits for the batch, milliseconds. Event ids already stored are
 * skipped (a redelivered batch inserts nothing twice); the `clicks_roll_up` trigger updates the
 * daily rollups in the same statement. The count replaces a RETURNING of every id.
 */
function insertStatement(rows: readonly ClickValues[]) {
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
      order by id for no key update
    ),
    inserted as (
      insert into clicks (event_id, link_id, clicked_at, referrer, referrer_host, browser, os,
                          device, is_bot, ip, visitor_hash)
      select event_id, link_id, clicked_at, referrer, referrer_host, browser, os,
             device, is_bot, ip, visitor_hash
      from batch where link_id in (select id from live)
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
      const [result] = await rawRows<{ inserted: number }>(tx ?? db, insertStatement(rows));
      return result?.inserted ?? 0;
    },
  };
}

export type ClicksRepository = ReturnType<typeof createClicksRepository>;
