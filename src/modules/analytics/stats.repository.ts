import { and, desc, eq, gte, inArray, not, sql } from 'drizzle-orm';
import type { Database, Transaction } from '#src/db/client.ts';
import { clicks, links } from '#src/db/schema.ts';

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

const countAll = sql<number>`count(*)`.mapWith(Number);

/** Queries over one link's clicks since a moment; the caller has checked ownership. */
export function createStatsRepository(db: Database) {
  const inWindow = (linkId: string, since: Date) =>
    and(eq(clicks.linkId, linkId), gte(clicks.clickedAt, since));
  const humans = (linkId: string, since: Date) => and(inWindow(linkId, since), not(clicks.isBot));

  return {
    /** Clicks and unique visitors exclude bots; bots are counted on their own. */
    async totals(linkId: string, since: Date, tx?: Transaction): Promise<ClickTotals> {
      const [row] = await (tx ?? db)
        .select({
          clicks: sql<number>`count(*) filter (where not ${clicks.isBot})`.mapWith(Number),
          uniqueVisitors:
            sql<number>`count(distinct ${clicks.visitorHash}) filter (where not ${clicks.isBot})`.mapWith(
              Number,
            ),
          bots: sql<number>`count(*) filter (where ${clicks.isBot})`.mapWith(Number),
        })
        .from(clicks)
        .where(inWindow(linkId, since));
      return row ?? { clicks: 0, uniqueVisitors: 0, bots: 0 };
    },

    /** Human clicks per UTC day (`YYYY-MM-DD`), only days that had any. */
    async daily(
      linkId: string,
      since: Date,
      tx?: Transaction,
    ): Promise<{ date: string; clicks: number }[]> {
      const day = sql<string>`to_char(${clicks.clickedAt} at time zone 'UTC', 'YYYY-MM-DD')`;
      return (tx ?? db)
        .select({ date: day, clicks: countAll })
        .from(clicks)
        .where(humans(linkId, since))
        .groupBy(day)
        .orderBy(day);
    },

    /** The most frequent values of one attribute among human clicks; null groups "none". */
    async top(
      linkId: string,
      since: Date,
      dimension: ClickDimension,
      limit: number,
      tx?: Transaction,
    ): Promise<{ value: string | null; clicks: number }[]> {
      const column = clicks[dimension];
      return (tx ?? db)
        .select({ value: column, clicks: countAll })
        .from(clicks)
        .where(humans(linkId, since))
        .groupBy(column)
        .orderBy(desc(countAll), sql`${column} asc nulls last`)
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
        .orderBy(desc(clicks.clickedAt), desc(clicks.id))
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
        .select({ linkId: clicks.linkId, clicks: countAll })
        .from(clicks)
        .innerJoin(links, eq(links.id, clicks.linkId))
        .where(
          and(eq(links.ownerId, ownerId), inArray(clicks.linkId, [...linkIds]), not(clicks.isBot)),
        )
        .groupBy(clicks.linkId);
    },
  };
}

export type StatsRepository = ReturnType<typeof createStatsRepository>;
