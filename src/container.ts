import type { DestinationStream } from 'pino';
import { openDatabase, type DatabaseHandle } from '#src/db/client.ts';
import { databaseTarget } from '#src/db/database-target.ts';
import { applyMigrations, migrationStatus } from '#src/db/migrator.ts';
import { createConsoleSender } from '#src/email/console-sender.ts';
import type { EmailSender } from '#src/email/email-sender.ts';
import { MemoryOutbox } from '#src/email/memory-outbox.ts';
import { createLogger, type Logger } from '#src/lib/logger.ts';
import {
  createAccountServices,
  type ApiTokensService,
  type PasswordResetService,
  type SessionsService,
  type UsersService,
} from '#src/modules/accounts/index.ts';
import {
  createBatchingClickSink,
  createClicksRepository,
  createClickWriter,
  createStatsRepository,
  createStatsService,
  type BatchingClickSink,
  type StatsService,
} from '#src/modules/analytics/index.ts';
import {
  createLinkChanges,
  createLinksRepository,
  createLinksService,
  type LinkChanges,
  type LinksService,
} from '#src/modules/links/index.ts';
import type { Settings } from '#src/settings/index.ts';

/**
 * The composition root: everything a process role (web, worker, CLI) needs, built from the
 * settings by explicit factories. The only place concrete adapters are chosen.
 */
export interface Container {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly database: DatabaseHandle;
  readonly links: LinksService;
  /** Link writes announce here; the redirect cache listens. */
  readonly linkChanges: LinkChanges;
  /** Clicks from the redirect, written in batches; flushed on close. */
  readonly clickSink: BatchingClickSink;
  readonly stats: StatsService;
  /** Outgoing mail: the console in development, an in-memory outbox under NODE_ENV=test. */
  readonly emailSender: EmailSender;
  readonly users: UsersService;
  readonly sessions: SessionsService;
  readonly passwordReset: PasswordResetService;
  readonly apiTokens: ApiTokensService;
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

  const linkChanges = createLinkChanges((error) => {
    logger.error({ err: error }, 'a link change listener failed');
  });
  const links = createLinksService({
    repository: createLinksRepository(database.db),
    siteUrl: settings.siteUrl,
    allowedHosts: settings.allowedHosts,
    defaultRedirectStatus: settings.redirectStatus,
    changes: linkChanges,
  });
  const clickWriter = createClickWriter({
    repository: createClicksRepository(database.db),
    ipMode: settings.clickIpMode,
    secretKey: settings.secretKey,
  });
  const clickSink = createBatchingClickSink({ write: clickWriter.write, logger });
  const stats = createStatsService({ links, repository: createStatsRepository(database.db) });

  const envelope = { from: settings.defaultFromEmail, subjectPrefix: settings.emailSubjectPrefix };
  const emailSender: EmailSender =
    settings.profile === 'test'
      ? new MemoryOutbox(envelope)
      : createConsoleSender(logger, envelope);
  const accounts = createAccountServices({
    db: database.db,
    email: emailSender,
    logger,
    siteUrl: settings.siteUrl,
    passwordMinLength: settings.passwordMinLength,
    sessionIdleMs: settings.sessionCookieAge,
    sessionMaxAgeMs: settings.sessionMaxAge,
  });

  const probes: Record<string, () => Promise<void>> = { database: () => database.ping() };
  let closed = false;
  return {
    settings,
    logger,
    database,
    links,
    linkChanges,
    clickSink,
    stats,
    emailSender,
    ...accounts,
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
      // Buffered clicks need the database: write them before it closes.
      await clickSink.close();
      if (ownsDatabase) await database.close();
    },
  };
}
