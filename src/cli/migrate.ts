import { openDatabase, type DatabaseHandle } from '#src/db/client.ts';
import { databaseTarget } from '#src/db/database-target.ts';
import {
  applyMigrations,
  MIGRATION_LOCK_WAIT,
  migrationStatus,
  type MigrationProgress,
} from '#src/db/migrator.ts';
import { createLogger, type Logger } from '#src/lib/logger.ts';
import { MIGRATE, MIGRATE_CHECK_EXIT } from './commands.ts';
import { loadSettingsOrReport, parseCommand, withUsage } from './common.ts';
import { reaching } from './dependency-failure.ts';
import type { Invocation, OutputStream } from './invocation.ts';

/**
 * `hoplink migrate [--check]`: applies pending migrations (each in a transaction, under a lock),
 * or with --check lists them. The exit codes are in MIGRATE's help (commands.ts).
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  const { stdout, stderr } = invocation;
  return withUsage(stderr, async () => {
    const { values } = parseCommand(MIGRATE, argv);
    const check = values.check === true;
    // With --check, 1 means "pending": failing to tell must not look the same to a script.
    const failed = check ? MIGRATE_CHECK_EXIT.failed : 1;
    return withUsage(
      stderr,
      async () => {
        const loaded = loadSettingsOrReport(invocation, values.dotenv);
        if (!loaded) return failed;
        const { settings } = loaded;
        const logger = createLogger({
          level: settings.logLevel,
          format: settings.logFormat,
          destination: stdout,
        });
        const handle = await openDatabase(databaseTarget(settings));
        // PostgreSQL is first reached by the first query, inside.
        return reaching('database', settings, () =>
          check ? checkPending(handle, logger) : migrate(handle, logger, stdout),
        );
      },
      failed,
    );
  });
}

/** Lists pending migrations: exit 0 when there are none, 1 when there are; closes the handle. */
async function checkPending(handle: DatabaseHandle, logger: Logger): Promise<number> {
  try {
    const status = await migrationStatus(handle);
    for (const name of status.modified)
      logger.warn({ migration: name }, 'applied migration was edited since it ran');
    if (status.pending.length === 0) {
      logger.info(
        { database: handle.description, applied: status.applied.length },
        'no pending migrations',
      );
      return MIGRATE_CHECK_EXIT.upToDate;
    }
    logger.warn(
      { database: handle.description, pending: status.pending.map((m) => m.name) },
      'pending migrations',
    );
    return MIGRATE_CHECK_EXIT.pending;
  } finally {
    await handle.close();
  }
}

/** A terminal, or anything written to like one (a test's fake). */
interface Screen {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * On a terminal, each migration shows while it runs and is then replaced by its name and
 * duration; otherwise each is a log event once applied (a JSON line in production).
 */
export function migrationProgress(logger: Logger, screen: Screen): MigrationProgress {
  if (screen.isTTY !== true) {
    return {
      waiting: () => {
        logger.info(MIGRATION_LOCK_WAIT);
      },
      applied: (migration, durationMs) => {
        logger.info({ migration, durationMs }, 'applied migration');
      },
    };
  }
  return {
    waiting: () => screen.write(`${MIGRATION_LOCK_WAIT}\n`),
    applying: (name) => screen.write(`applying ${name}…`),
    // \r and "erase line": the finished line replaces the one in progress.
    applied: (name, durationMs) =>
      screen.write(`\r\x1b[2Kapplied ${name} in ${formatDuration(durationMs)}\n`),
  };
}

function formatDuration(ms: number): string {
  return ms < 1_000 ? `${String(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

/** Applies pending migrations with progress on stdout; closes the handle. */
async function migrate(
  handle: DatabaseHandle,
  logger: Logger,
  screen: OutputStream,
): Promise<number> {
  try {
    const applied = await applyMigrations(handle, migrationProgress(logger, screen));
    logger.info(
      { database: handle.description, applied: applied.length },
      applied.length ? 'database migrated' : 'database already up to date',
    );
    return 0;
  } finally {
    await handle.close();
  }
}
