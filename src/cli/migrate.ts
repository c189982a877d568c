import { openDatabase, type DatabaseHandle } from '#src/db/client.ts';
import { databaseTarget } from '#src/db/database-target.ts';
import { applyMigrations, migrationStatus } from '#src/db/migrator.ts';
import { createLogger, type Logger } from '#src/lib/logger.ts';
import {
  DOTENV_OPTION,
  dotenvOption,
  loadSettingsOrReport,
  parseCommandLine,
  withUsage,
} from './common.ts';
import { reaching } from './dependency-failure.ts';

/**
 * `hoplink migrate [--check]`: applies pending migrations (each in a transaction, under a lock),
 * or with --check lists them and exits 1 when any is pending.
 */
export function run(argv: string[]): Promise<number> {
  return withUsage(async () => {
    const { values } = parseCommandLine(argv, { check: { type: 'boolean' }, ...DOTENV_OPTION });
    const loaded = loadSettingsOrReport({
      ...dotenvOption(values.dotenv),
    });
    if (!loaded) return 1;
    const { settings } = loaded;
    const logger = createLogger({ level: settings.logLevel, format: settings.logFormat });
    const handle = await openDatabase(databaseTarget(settings));
    // PostgreSQL is first reached by the first query, inside.
    return reaching('database', settings, () => migrate(handle, logger, values.check === true));
  });
}

/** Applies (or with `check`, lists) pending migrations; closes the handle. */
async function migrate(handle: DatabaseHandle, logger: Logger, check: boolean): Promise<number> {
  try {
    if (check) {
      const status = await migrationStatus(handle);
      for (const name of status.modified)
        logger.warn({ migration: name }, 'applied migration was edited since it ran');
      if (status.pending.length === 0) {
        logger.info(
          { database: handle.description, applied: status.applied.length },
          'no pending migrations',
        );
        return 0;
      }
      logger.warn(
        { database: handle.description, pending: status.pending.map((m) => m.name) },
        'pending migrations',
      );
      return 1;
    }
    const applied = await applyMigrations(handle, (name, durationMs) => {
      logger.info({ migration: name, durationMs }, 'applied migration');
    });
    logger.info(
      { database: handle.description, applied: applied.length },
      applied.length ? 'database migrated' : 'database already up to date',
    );
    return 0;
  } finally {
    await handle.close();
  }
}
