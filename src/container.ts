import type { DestinationStream } from 'pino';
import { openDatabase, type DatabaseHandle } from '#src/db/client.ts';
import { databaseTarget } from '#src/db/database-target.ts';
import { applyMigrations, migrationStatus } from '#src/db/migrator.ts';
import { createLogger, type Logger } from '#src/lib/logger.ts';
import type { Settings } from '#src/settings/index.ts';

/**
 * The composition root: everything a process role (web, worker, CLI) needs, built from the
 * settings by explicit factories. The only place concrete adapters are chosen.
 */
export interface Container {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly database: DatabaseHandle;
  /** Checks each dependency the process relies on; used by /readyz. */
  readonly readiness: () => Promise<ReadinessReport>;
  /** Releases pools and handles; safe to call twice. */
  readonly close: () => Promise<void>;
}

export interface ReadinessReport {
  readonly ok: boolean;
  readonly checks: Readonly<Record<string, 'ok' | 'failing'>>;
}

export interface ContainerOptions {
  /** Log destination override (tests collect lines). */
  readonly logDestination?: DestinationStream;
  /** An already open, migrated database the caller owns (tests share one per file). */
  readonly database?: DatabaseHandle;
}

/** The backing services the settings select, as the startup line names them. */
export function describeRuntime(settings: Settings): { database: string; queue: string } {
  const target = databaseTarget(settings);
  const database =
    target.kind === 'postgres'
      ? `postgres ${new URL(target.url).host}`
      : `embedded ${target.dataDir ?? '(in memory)'}`;
  return { database, queue: 'none' };
}

/** Thrown when the process must not start; the message tells the operator what to do. */
export class StartupError extends Error {}

/**
 * Production never changes the schema on start (several processes would race, and a deploy
 * should migrate once, deliberately); development and tests migrate so they need no setup.
 */
async function prepareDatabase(
  database: DatabaseHandle,
  settings: Settings,
  logger: Logger,
): Promise<void> {
  if (settings.profile === 'production') {
    const { pending } = await migrationStatus(database);
    if (pending.length > 0) {
      throw new StartupError(
        `the database has ${pending.length} pending migration(s) (${pending.map((m) => m.name).join(', ')}): run \`hoplink migrate\` first`,
      );
    }
    return;
  }
  await applyMigrations(database, (migration, durationMs) => {
    logger.info({ migration, durationMs }, 'applied migration');
  });
}

export async function createContainer(
  settings: Settings,
  options: ContainerOptions = {},
): Promise<Container> {
  const logger = createLogger({
    level: settings.logLevel,
    format: settings.logFormat,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const ownsDatabase = options.database === undefined;
  const database = options.database ?? (await openDatabase(databaseTarget(settings)));
  try {
    if (ownsDatabase) await prepareDatabase(database, settings, logger);
  } catch (error) {
    await database.close();
    throw error;
  }

  const probes: Record<string, () => Promise<void>> = { database: () => database.ping() };
  let closed = false;
  return {
    settings,
    logger,
    database,
    readiness: async () => {
      const entries = await Promise.all(
        Object.entries(probes).map(async ([name, probe]) => {
          try {
            await probe();
            return [name, 'ok'] as const;
          } catch (error) {
            logger.warn({ err: error, dependency: name }, 'readiness probe failed');
            return [name, 'failing'] as const;
          }
        }),
      );
      return {
        ok: entries.every(([, state]) => state === 'ok'),
        checks: Object.fromEntries(entries),
      };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (ownsDatabase) await database.close();
    },
  };
}
