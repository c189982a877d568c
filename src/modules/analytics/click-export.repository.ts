import { and, asc, eq, inArray, sql, type SQLWrapper } from 'drizzle-orm';
import type { Database, Transaction } from '#src/db/client.ts';
import { clickDaily, clicks } from '#src/db/schema.ts';

/** Clicks per query of an export: one page in memory at a time. */
export const CLICK_EXPORT_PAGE_SIZE = 1000;

/** A click as an export shows it: never its IP or visitor hash (decision 0026). */
export interface ExportedClickRow {
  readonly clickedAt: Date;
  readonly referrer: string | null;
  readonly referrerHost: string | null;
  readonly browser: string | null;
  readonly os: string | null;
  readonly device: string | null;
  readonly isBot: boolean;
}

/** A link's all-time counts, from the daily rollups. */
export interface AllTimeTotals {
  readonly linkId: string;
  readonly clicks: number;
  readonly uniqueVisitors: number;
  readonly bots: number;
}

// Microseconds as text: a JavaScript Date would cut clicked_at to milliseconds, and the keyset
// comparison would skip or repeat clicks stored within one millisecond.
const positionText = sql<string>`to_char(${clicks.clickedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function exportedClick(row: ExportedClickRow): ExportedClickRow {
  return {
    clickedAt: row.clickedAt,
    referrer: row.referrer,
    referrerHost: row.referrerHost,
    browser: row.browser,
    os: row.os,
    device: row.device,
    isBot: row.isBot,
  };
}

const sumOf = (column: SQLWrapper) => sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);

/**
 * Reads for the data export (decision 0026). The caller passes link ids it got from the links
 * service for one owner, so ownership is settled before any click is read.
 */
export function createClickExportRepository(db: Database) {
  return {
    /** All-time totals of these links; a link without any click is absent. */
    async totals(linkIds: readonly string[], tx?: Transaction): Promise<AllTimeTotals[]> {
      if (linkIds.length === 0) return [];
      return (tx ?? db)
        .select({
          linkId: clickDaily.linkId,
          clicks: sumOf(clickDaily.clicks),
          uniqueVisitors: sumOf(clickDaily.visitors),
          bots: sumOf(clickDaily.bots),
        })
        .from(clickDaily)
        .where(inArray(clickDaily.linkId, [...linkIds]))
        .groupBy(clickDaily.linkId);
    },

    /**
     * One link's clicks, oldest first, bots included, in keyset pages on (clicked_at, event_id):
     * each page is one query along `clicks_link_time_idx`, the same on PostgreSQL and PGlite (no
     * server-side cursor, which would hold a pooled connection for the whole download). Stopping
     * the iteration (`return()`, as a closed response does) stops the queries.
     */
    async *pagesOf(
      linkId: string,
      pageSize = CLICK_EXPORT_PAGE_SIZE,
    ): AsyncGenerator<readonly ExportedClickRow[]> {
      let after: { readonly at: string; readonly eventId: string } | null = null;
      for (;;) {
        const rows = await db
          .select({
            clickedAt: clicks.clickedAt,
            referrer: clicks.referrer,
            referrerHost: clicks.referrerHost,
            browser: clicks.browser,
            os: clicks.os,
            device: clicks.device,
            isBot: clicks.isBot,
            eventId: clicks.eventId,
            position: positionText,
          })
          .from(clicks)
          .where(
            and(
              eq(clicks.linkId, linkId),
              after === null
                ? undefined
                : sql`(${clicks.clickedAt}, ${clicks.eventId}) > (${after.at}::timestamptz, ${after.eventId}::uuid)`,
            ),
          )
          .orderBy(asc(clicks.clickedAt), asc(clicks.eventId))
          .limit(pageSize);
        if (rows.length > 0) yield rows.map(exportedClick);
        const last = rows.at(-1);
        if (rows.length < pageSize || last === undefined) return;
        after = { at: last.position, eventId: last.eventId };
      }
    },
  };
}

export type ClickExportRepository = ReturnType<typeof createClickExportRepository>;
