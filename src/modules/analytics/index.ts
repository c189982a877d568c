import type { Database } from '#src/db/client.ts';
import type { Logger } from '#src/lib/logger.ts';
import type { LinksService } from '#src/modules/links/index.ts';
import { createBatchingClickSink } from './batching-click-sink.ts';
import { createClickRetentionRepository } from './click-retention.repository.ts';
import { createClickRetentionService } from './click-retention.service.ts';
import { createClickDelivery } from './click-delivery.ts';
import { createClickSpool, type ClickBatch } from './click-spool.ts';
import { createClickWriter } from './click-writer.ts';
import { createClickExportRepository } from './click-export.repository.ts';
import { createDataExportService } from './data-export.service.ts';
import { createClicksRepository } from './clicks.repository.ts';
import type { ClickIpMode } from './ip-address.ts';
import { createStatsRepository } from './stats.repository.ts';
import { createStatsService } from './stats.service.ts';

export type { BatchingClickSink } from './batching-click-sink.ts';
export {
  CLICK_BATCH_MAX,
  clickHeader,
  RAW_REFERRER_MAX_LENGTH,
  RAW_USER_AGENT_MAX_LENGTH,
  type ClickSink,
  type RawClick,
} from './click-sink.ts';
export type { ClickWriter } from './click-writer.ts';
export type {
  ClickRetentionService,
  RetentionProgress,
  RetentionReport,
  TablePurge,
} from './click-retention.service.ts';
export type { RetainedTable } from './click-retention.repository.ts';
export {
  EXPORT_COLUMNS,
  EXPORT_DATASETS,
  EXPORT_FORMATS,
  type DataExportService,
  type ExportDataset,
  type ExportFormat,
  type ExportOwner,
} from './data-export.service.ts';
export { anonymizeIp, type ClickIpMode } from './ip-address.ts';
export type { RecentClick } from './stats.repository.ts';
export {
  STATS_DEFAULT_DAYS,
  STATS_MAX_DAYS,
  type CountedValue,
  type LinkStats,
  type StatsService,
} from './stats.service.ts';
export type { ClickDelivery } from './click-delivery.ts';
export { createClickEventIds } from './click-event-ids.ts';
export { ClickSpoolFullError, type ClickBatch, type ClickSpool } from './click-spool.ts';

export interface AnalyticsModuleDependencies {
  /** The module builds its repositories on it. */
  readonly db: Database;
  /**
   * A link's stats are its owner's only: `get` throws NotFoundError for anyone else. An export
   * reads the owner's links through `allOf`, and only their clicks.
   */
  readonly links: Pick<LinksService, 'get' | 'allOf'>;
  /** SITE_URL: the base of the short URLs an export lists. */
  readonly siteUrl: string;
  /** CLICK_IP_MODE: how much of a visitor's address is kept. */
  readonly ipMode: ClickIpMode;
  /** SECRET_KEY, from which each day's visitor salt is derived. */
  readonly secretKey: { reveal(): string };
  readonly logger: Logger;
  /** CLICK_RETENTION_DAYS (0: forever) and CLICK_VISITOR_RETENTION_DAYS, in UTC days. */
  readonly retention: { readonly clickDays: number; readonly visitorDays: number };
  /** The click pipeline of a web process, from the redirect's buffer to the clicks queue. */
  readonly pipeline: {
    /** Hands a batch to the clicks queue (resolves once the queue holds it). */
    readonly send: (batch: ClickBatch) => Promise<void>;
    /** Errors no retry can fix (a batch the queue refuses): logged and dropped, never spooled. */
    readonly isPermanent: (error: unknown) => boolean;
    /** CLICK_BATCH_SIZE: a full batch is sent at once. */
    readonly batchSize: number;
    /** CLICK_FLUSH_INTERVAL: the longest a captured click waits for its batch. */
    readonly flushIntervalMs: number;
    /**
     * Where batches wait on disk while `send` fails (DATA_DIR/click-spool, CLICK_SPOOL_MAX_SIZE);
     * only a queue in another process can fail like that, so only then is there one.
     */
    readonly spool?: { readonly dir: string; readonly maxBytes: number };
  };
}

/**
 * The analytics module: the click writer the record-clicks job runs, the stats service, click
 * retention (the purge-old-clicks job and `hoplink retention`), and the click pipeline (a buffer
 * in front of the queue, with the spool behind it), each built on repositories it makes from
 * `db` or on the ports it is given.
 */
export function createAnalyticsModule(deps: AnalyticsModuleDependencies) {
  const { logger, pipeline } = deps;
  const clickDelivery = createClickDelivery({
    send: pipeline.send,
    ...(pipeline.spool ? { spool: createClickSpool({ ...pipeline.spool, logger }) } : {}),
    isPermanent: pipeline.isPermanent,
    logger,
  });
  return {
    clickWriter: createClickWriter({
      repository: createClicksRepository(deps.db),
      ipMode: deps.ipMode,
      secretKey: deps.secretKey,
    }),
    stats: createStatsService({
      links: deps.links,
      repository: createStatsRepository(deps.db),
      clickRetentionDays: deps.retention.clickDays,
    }),
    /** Deletes raw clicks and visitor hashes older than the retention settings keep. */
    retention: createClickRetentionService({
      repository: createClickRetentionRepository(deps.db),
      clickRetentionDays: deps.retention.clickDays,
      visitorRetentionDays: deps.retention.visitorDays,
    }),
    /** A user's links and clicks as CSV or JSON, streamed a page at a time (decision 0026). */
    dataExport: createDataExportService({
      links: deps.links,
      repository: createClickExportRepository(deps.db),
      siteUrl: deps.siteUrl,
      logger,
    }),
    /** Clicks from the redirect, sent in batches; flush it on close, before `clickDelivery`. */
    clickSink: createBatchingClickSink({
      write: (clicks) => clickDelivery.deliver(clicks),
      logger,
      maxBatch: pipeline.batchSize,
      flushIntervalMs: pipeline.flushIntervalMs,
    }),
    /** Replays spooled batches once started (the web role's background work). */
    clickDelivery,
  };
}

export type AnalyticsModule = ReturnType<typeof createAnalyticsModule>;
