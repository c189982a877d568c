import { ValidationError } from '#src/lib/errors.ts';
import type { LinksService } from '#src/modules/links/index.ts';
import { retentionStart } from './click-retention.service.ts';
import type { RecentClick, StatsRepository } from './stats.repository.ts';

export interface CountedValue {
  /** null groups clicks without it: no referrer (direct), or an unrecognised user agent. */
  readonly value: string | null;
  readonly clicks: number;
}

/**
 * One link's clicks over the last `days` UTC days, today included. Every number describes that
 * window; `clicks`, `uniqueVisitors`, `daily` and the top lists leave bots out, `bots` counts
 * them, `recent` shows them flagged. Unique visitors are counted per day (the visitor hash is
 * salted daily), so one person on two days counts twice.
 */
export interface LinkStats {
  readonly days: number;
  /** Start of the window: midnight UTC, `days - 1` days before today. */
  readonly since: Date;
  readonly clicks: number;
  readonly uniqueVisitors: number;
  readonly bots: number;
  /** One entry per day, oldest first, zero-filled. */
  readonly daily: readonly { readonly date: string; readonly clicks: number }[];
  readonly referrers: readonly CountedValue[];
  readonly browsers: readonly CountedValue[];
  readonly os: readonly CountedValue[];
  readonly devices: readonly CountedValue[];
  /** The 20 latest clicks, newest first. */
  readonly recent: readonly RecentClick[];
  /**
   * How far back individual clicks (`recent`) go under CLICK_RETENTION_DAYS; null when they
   * are kept forever. The counts come from daily rollups, which are always kept.
   */
  readonly recentSince: Date | null;
}

export interface StatsServiceDependencies {
  /** Ownership: `get` throws NotFoundError for another owner's link. */
  readonly links: Pick<LinksService, 'get'>;
  readonly repository: Pick<
    StatsRepository,
    'totals' | 'daily' | 'top' | 'recent' | 'humanClickCounts'
  >;
  readonly now?: () => Date;
  /** CLICK_RETENTION_DAYS: raw clicks are kept this many UTC days; 0 or unset, forever. */
  readonly clickRetentionDays?: number;
}

export const STATS_DEFAULT_DAYS = 30;
export const STATS_MAX_DAYS = 365;
const TOP_LIMIT = 10;
const RECENT_LIMIT = 20;
const DAY_MS = 86_400_000;

export function createStatsService(deps: StatsServiceDependencies) {
  const now = deps.now ?? (() => new Date());
  return {
    /** NotFoundError for another owner's link; ValidationError for `days` outside 1–365. */
    async stats(
      ownerId: string,
      linkId: string,
      days: number = STATS_DEFAULT_DAYS,
    ): Promise<LinkStats> {
      if (!Number.isInteger(days) || days < 1 || days > STATS_MAX_DAYS) {
        throw new ValidationError('Some fields are not valid.', [
          { field: 'days', message: `Days must be a whole number from 1 to ${STATS_MAX_DAYS}.` },
        ]);
      }
      const link = await deps.links.get(ownerId, linkId);
      const moment = now();
      const today = Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth(), moment.getUTCDate());
      // Whole UTC days: the counts come from daily rollups, which cannot start mid-day.
      const since = new Date(today - (days - 1) * DAY_MS);
      const { repository } = deps;
      const [totals, daily, referrers, browsers, os, devices, recent] = await Promise.all([
        repository.totals(link.id, since),
        repository.daily(link.id, since),
        repository.top(link.id, since, 'referrerHost', TOP_LIMIT),
        repository.top(link.id, since, 'browser', TOP_LIMIT),
        repository.top(link.id, since, 'os', TOP_LIMIT),
        repository.top(link.id, since, 'device', TOP_LIMIT),
        repository.recent(link.id, since, RECENT_LIMIT),
      ]);
      const perDay = new Map(daily.map((entry) => [entry.date, entry.clicks]));
      return {
        days,
        since,
        ...totals,
        daily: Array.from({ length: days }, (_, index) => {
          const date = new Date(since.getTime() + index * DAY_MS).toISOString().slice(0, 10);
          return { date, clicks: perDay.get(date) ?? 0 };
        }),
        referrers,
        browsers,
        os,
        devices,
        recent,
        recentSince: deps.clickRetentionDays
          ? retentionStart(moment, deps.clickRetentionDays)
          : null,
      };
    },

    /**
     * All-time clicks (bots left out) per link, for a page of the owner's links, in one query;
     * a link without clicks (or not the owner's) maps to 0.
     */
    async clickCounts(
      ownerId: string,
      linkIds: readonly string[],
    ): Promise<ReadonlyMap<string, number>> {
      const rows = await deps.repository.humanClickCounts(ownerId, linkIds);
      const counts = new Map(rows.map((row) => [row.linkId, row.clicks]));
      return new Map(linkIds.map((id) => [id, counts.get(id) ?? 0]));
    },
  };
}

export type StatsService = ReturnType<typeof createStatsService>;
