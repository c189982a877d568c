import { and, desc, eq, gt, gte, inArray, sql, type SQLWrapper } from 'drizzle-orm';
import type { Database, Transaction } from '#src/db/client.ts';
import { clickDaily, clickDailyValues, clicks, links } from '#src/db/schema.ts';

/** The click attributes a top list may group by. */
export type ClickDimension = 'referrerHost' | 'browser' | 'os' | 'device';

export interface ClickTotals {
  readonly clicks: number;
  readonly uniqueVisitors: number;
  readonly bots: number;
}

export interface RecentClick {
  readonly clickedAt: Date;
  readonly referrerHost: string | null;
  readonly browser: string | null;
  readonly os: string | null;
  readonly device: string | null;
  readonly isBot: boolean;
}

/** The `click_daily_values.dimension` each attribute is counted under. */
const DIMENSION_NAMES = {
  referrerHost: 'referrer_host',
  browser: 'browser',
  os: 'os',
  device: 'device',
} as const satisfies Record<ClickDimension, string>;

const sumOf = (column: SQLWrapper) => sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);

/** The UTC day (`YYYY-MM-DD`) a window starting at `since` begins with. */
const dayOf = (since: Date) => since.toISOString().slice(0, 10);

/**
 * Queries over one link's clicks since a moment; the caller has checked ownership. Counts come
 * from the daily rollups, so they cover whole UTC days: `since` is taken as its day's midnight
 * (the stats service only asks from midnight).
 */
export function createStatsRepository(db: Database) {
  const inWindow = (linkId: string, since: Date) =>
    and(eq(clicks.linkId, linkId), gte(clicks.clickedAt, since));
  const daysFrom = (linkId: string, since: Date) =>
    and(eq(clickDaily.linkId, linkId), gte(clickDaily.day, dayOf(since)));
  const humanClicks = sumOf(clickDaily.clicks);

  return {
    /**
     * Clicks and unique visitors exclude bots; bots are counted on their own. Visitors are
     * summed per day: hashes are salted daily, so that is also their distinct count overall.
     */
    async totals(linkId: string, since: Date, tx?: Transaction): Promise<ClickTotals> {
      const [row] = await (tx ?? db)
        .select({
          clicks: humanClicks,
          uniqueVisitors: sumOf(clickDaily.visitors),
          bots: sumOf(clickDaily.bots),
        })
        .from(clickDaily)
        .where(daysFrom(linkId, since));
      return row ?? { clicks: 0, uniqueVisitors: 0, bots: 0 };
    },

    /** Human clicks per UTC day (`YYYY-MM-DD`), only days that had any. */
    async daily(
      linkId: string,
      since: Date,
      tx?: Transaction,
    ): Promise<{ date: string; clicks: number }[]> {
      return (tx ?? db)
        .select({
          date: sql<string>`to_char(${clickDaily.day}, 'YYYY-MM-DD')`,
          clicks: clickDaily.clicks,
        })
        .from(clickDaily)
        .where(and(daysFrom(linkId, since), gt(clickDaily.clicks, 0)))
        .orderBy(clickDaily.day);
    },

    /** The most frequent values of one attribute among human clicks; null groups "none". */
    async top(
      linkId: string,
      since: Date,
      dimension: ClickDimension,
      limit: number,
      tx?: Transaction,
    ): Promise<{ value: string | null; clicks: number }[]> {
      const total = sumOf(clickDailyValues.clicks);
      return (tx ?? db)
        .select({ value: clickDailyValues.value, clicks: total })
        .from(clickDailyValues)
        .where(
          and(
            eq(clickDailyValues.linkId, linkId),
            eq(clickDailyValues.dimension, DIMENSION_NAMES[dimension]),
            gte(clickDailyValues.day, dayOf(since)),
          ),
        )
        .groupBy(clickDailyValues.value)
        .orderBy(desc(total), sql`${clickDailyValues.value} asc nulls last`)
        .limit(limit);
    },

    /** The latest clicks, bots included (flagged). */
    async recent(
      linkId: string,
      since: Date,
      limit: number,
      tx?: Transaction,
    ): Promise<RecentClick[]> {
      return (tx ?? db)
        .select({
          clickedAt: clicks.clickedAt,
          referrerHost: clicks.referrerHost,
          browser: clicks.browser,
          os: clicks.os,
          device: clicks.device,
          isBot: clicks.isBot,
        })
        .from(clicks)
        .where(inWindow(linkId, since))
        .orderBy(desc(clicks.clickedAt), desc(clicks.eventId))
        .limit(limit);
    },

    /**
     * All-time human clicks of several links in one query (a list page's counts); only links
     * of `ownerId` count, and links without clicks are absent from the result.
     */
    async humanClickCounts(
      ownerId: string,
      linkIds: readonly string[],
      tx?: Transaction,
    ): Promise<{ linkId: string; clicks: number }[]> {
      if (linkIds.length === 0) return [];
      return (tx ?? db)
        .select({ linkId: clickDaily.linkId, clicks: humanClicks })
        .from(clickDaily)
        .innerJoin(links, eq(links.id, clickDaily.linkId))
        .where(and(eq(links.ownerId, ownerId), inArray(clickDaily.linkId, [...linkIds])))
        .groupBy(clickDaily.linkId)
        .having(gt(humanClicks, 0));
    },
  };
}

export type StatsRepository = ReturnType<typeof createStatsRepository>;
