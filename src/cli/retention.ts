import { createContainer } from '#src/container.ts';
import type {
  RetainedTable,
  RetentionProgress,
  RetentionReport,
} from '#src/modules/analytics/index.ts';
import { RETENTION } from './commands.ts';
import { loadSettingsOrReport, parseCommand, withUsage } from './common.ts';
import { reaching } from './dependency-failure.ts';
import type { Invocation, OutputStream } from './invocation.ts';

/** Progress lines come at most this often, and at the end of each table. */
const PROGRESS_INTERVAL_MS = 1_000;

const TABLE_NAMES: Readonly<Record<RetainedTable, string>> = {
  visitorHashes: 'visitor hashes',
  clicks: 'clicks',
};

const count = (n: number) => n.toLocaleString('en');
const day = (date: Date) => date.toISOString().slice(0, 10);

function progressPrinter(stdout: OutputStream, dryRun: boolean) {
  let printedAt = Number.NEGATIVE_INFINITY;
  return (progress: RetentionProgress) => {
    const done = progress.blocksDone >= progress.blocksTotal;
    if (!done && performance.now() - printedAt < PROGRESS_INTERVAL_MS) return;
    printedAt = performance.now();
    const percent = Math.floor((100 * progress.blocksDone) / Math.max(progress.blocksTotal, 1));
    stdout.write(
      `  ${TABLE_NAMES[progress.table]}: ${percent}% of the table walked, ${count(progress.rows)} ${dryRun ? 'found' : 'deleted'}\n`,
    );
  };
}

function summary(report: RetentionReport): string {
  const verb = report.dryRun ? 'Would delete' : 'Deleted';
  const statements = report.clicks.statements + report.visitorHashes.statements;
  const stopped =
    report.clicks.complete && report.visitorHashes.complete
      ? ''
      : ' Stopped before the end; run it again to go on.';
  return `${verb} ${count(report.clicks.rows)} clicks and ${count(report.visitorHashes.rows)} visitor hashes (${count(statements)} statements, ${(report.durationMs / 1000).toFixed(1)} s).${stopped}\n`;
}

/**
 * `hoplink retention [--dry-run]`: enforces CLICK_RETENTION_DAYS and CLICK_VISITOR_RETENTION_DAYS
 * now, as the hourly purge-old-clicks job does, printing its progress; with --dry-run it only
 * counts. Each batch commits on its own, so an interrupted run loses nothing it did.
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  const { stdout, stderr } = invocation;
  return withUsage(stderr, async () => {
    const { values } = parseCommand(RETENTION, argv);
    const dryRun = values['dry-run'] === true;
    const loaded = loadSettingsOrReport(invocation, values.dotenv);
    if (!loaded) return 1;
    const { settings } = loaded;
    const container = await reaching('database', settings, () =>
      createContainer(settings, { logDestination: stderr }),
    );
    try {
      const cutoffs = container.clickRetention.cutoffs();
      stdout.write(
        cutoffs.clicks === null
          ? `CLICK_RETENTION_DAYS is 0: clicks are kept forever. Visitor hashes from before ${day(cutoffs.visitorHashes)} (UTC) ${dryRun ? 'would go' : 'go'}.\n`
          : `Clicks from before ${day(cutoffs.clicks)} and visitor hashes from before ${day(cutoffs.visitorHashes)} (UTC) ${dryRun ? 'would go' : 'go'}; daily counts stay.\n`,
      );
      const report = await reaching('database', settings, () =>
        container.clickRetention.run({ dryRun, onProgress: progressPrinter(stdout, dryRun) }),
      );
      stdout.write(summary(report));
      return 0;
    } finally {
      await container.close();
    }
  });
}
