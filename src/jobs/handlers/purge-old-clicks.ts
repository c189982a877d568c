import type { Logger } from '#src/lib/logger.ts';
import type { ClickRetentionService, RetentionProgress } from '#src/modules/analytics/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';

export interface PurgeOldClicksDependencies {
  readonly clickRetention: Pick<ClickRetentionService, 'run'>;
  /** Aborted when the process stops: the run ends after its current batch. */
  readonly stopping: AbortSignal;
  readonly logger: Pick<Logger, 'info'>;
}

/** A long run says how far it got at most this often. */
const PROGRESS_INTERVAL_MS = 30_000;

/**
 * Deletes raw clicks and visitor hashes older than the retention settings keep, in small
 * batches. Running it twice, or after a stopped run, deletes only what is still old.
 */
export function purgeOldClicks(deps: PurgeOldClicksDependencies): JobHandlers['purge-old-clicks'] {
  return async () => {
    let reportedAt = performance.now();
    const onProgress = (progress: RetentionProgress) => {
      if (performance.now() - reportedAt < PROGRESS_INTERVAL_MS) return;
      reportedAt = performance.now();
      const percent = Math.floor((100 * progress.blocksDone) / Math.max(progress.blocksTotal, 1));
      deps.logger.info(
        { table: progress.table, percent, deleted: progress.rows },
        `click retention: ${progress.table} ${percent}% walked, ${progress.rows} deleted so far`,
      );
    };
    const report = await deps.clickRetention.run({ signal: deps.stopping, onProgress });
    const complete = report.clicks.complete && report.visitorHashes.complete;
    deps.logger.info(
      {
        clicks: report.clicks.rows,
        visitorHashes: report.visitorHashes.rows,
        clicksBefore: report.clicks.cutoff?.toISOString() ?? null,
        visitorHashesBefore: report.visitorHashes.cutoff?.toISOString() ?? null,
        statements: report.clicks.statements + report.visitorHashes.statements,
        durationMs: report.durationMs,
        complete,
      },
      complete
        ? 'purged old clicks and visitor hashes'
        : 'stopped purging old clicks (shutdown); the next run goes on',
    );
  };
}
