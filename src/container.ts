import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { z } from 'zod';
import { openDatabase, type DatabaseHandle } from '#src/db/client.ts';
import { databaseTarget } from '#src/db/database-target.ts';
import { applyMigrations, MIGRATION_LOCK_WAIT, migrationStatus } from '#src/db/migrator.ts';
import { createAccountMail } from '#src/email/account-mail.ts';
import { createConsoleSender } from '#src/email/console-sender.ts';
import type { EmailSender } from '#src/email/email-sender.ts';
import { MemoryOutbox } from '#src/email/memory-outbox.ts';
import { createSmtpSender } from '#src/email/smtp-sender.ts';
import { createBullmqQueue } from '#src/jobs/bullmq-queue.ts';
import { createEagerQueue } from '#src/jobs/eager-queue.ts';
import { createJobHandlers } from '#src/jobs/handlers/index.ts';
import { isJobName, JOBS } from '#src/jobs/job-registry.ts';
import { createMemoryQueue } from '#src/jobs/memory-queue.ts';
import type { Dispatch, JobQueue } from '#src/jobs/queue.ts';
import { startInProcessSchedules } from '#src/jobs/schedules.ts';
import { createJobDispatcher } from '#src/jobs/worker-runner.ts';
import { startErrorTracking, type ErrorTracking } from '#src/lib/error-tracking.ts';
import { createLogger, type Logger } from '#src/lib/logger.ts';
import { packageVersion } from '#src/lib/package-version.ts';
import { createMemoryRateLimitStore, type RateLimitStore } from '#src/lib/rate-limiter.ts';
import { createReadiness, type ReadinessReport } from '#src/lib/readiness.ts';
import { settlesWithin } from '#src/lib/deadline.ts';
import { createRedisChannel } from '#src/lib/redis-channel.ts';
import { createRedisRateLimitStore } from '#src/lib/redis-rate-limit-store.ts';
import {
  createAccountsModule,
  type AccountDeletionService,
  type AccountEmailJobs,
  type EmailVerificationService,
  type InvitationsService,
  type ApiTokensService,
  type PasswordResetService,
  type SessionsService,
  type UsersService,
} from '#src/modules/accounts/index.ts';
import {
  createAnalyticsModule,
  type BatchingClickSink,
  type DataExportService,
  type ClickRetentionService,
  type StatsService,
} from '#src/modules/analytics/index.ts';
import {
  createLinksModule,
  type LinkChanges,
  type LinksService,
} from '#src/modules/links/index.ts';
import { createProcessMetrics, type ProcessMetrics } from '#src/metrics/process-metrics.ts';
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
  /** Clicks from the redirect, sent to the clicks queue in batches; flushed on close. */
  readonly clickSink: BatchingClickSink;
  readonly stats: StatsService;
  /** Deletes raw clicks and visitor hashes past CLICK_RETENTION_DAYS (the job, `hoplink retention`). */
  readonly clickRetention: ClickRetentionService;
  /** A user's links and clicks as CSV or JSON, streamed (decision 0026). */
  readonly dataExport: DataExportService;
  /** Outgoing mail: SMTP with EMAIL_URL, else an in-memory outbox under NODE_ENV=test, else the console. */
  readonly emailSender: EmailSender;
  /** Where jobs are enqueued (QUEUE_MODE picks the adapter). */
  readonly jobs: JobQueue;
  /** Runs one job through its handler; `hoplink worker` feeds it from Redis. */
  readonly dispatchJob: Dispatch;
  readonly users: UsersService;
  readonly sessions: SessionsService;
  readonly passwordReset: PasswordResetService;
  readonly apiTokens: ApiTokensService;
  /** Deletes an account with everything it owns, and makes every process forget its links. */
  readonly accountDeletion: AccountDeletionService;
  /** Staff invitations to sign up (decision 0027). */
  readonly invitations: InvitationsService;
  /** Confirming addresses; with EMAIL_VERIFICATION on, unconfirmed accounts create no links. */
  readonly emailVerification: EmailVerificationService;
  /** Login, reset, sign-up and API limits: in Redis with REDIS_URL (one count for every process). */
  readonly rateLimits: RateLimitStore;
  /**
   * This process's metrics: the click pipeline, jobs and emails are wired here; the web layer
   * adds requests and redirects, the worker role the queue counts. Decision 0022.
   */
  readonly metrics: ProcessMetrics;
  /**
   * The web role's background duties: replaying spooled click batches and, with the in-process
   * queue, the scheduled jobs (with Redis, `hoplink worker` schedules them).
   */
  readonly startBackgroundWork: () => void;
  /**
   * The web role's readiness, for /readyz: unavailable without the database, degraded (still
   * serving) without Redis. Decision 0015.
   */
  readonly readiness: () => Promise<ReadinessReport>;
  /**
   * Asks long jobs in flight (a click retention pass) to stop after their current batch, so a
   * worker told to stop drains in seconds; close() does it too. What they left is done next run.
   */
  readonly interruptLongJobs: () => void;
  /** Releases pools and handles; safe to call twice. */
  readonly close: () => Promise<void>;
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
  return { database, queue: settings.queueMode };
}

/**
 * The mail transport: SMTP when EMAIL_URL is set, else an in-memory outbox under NODE_ENV=test,
 * else the console. `description` names it without credentials.
 */
export function createEmailSender(
  settings: Settings,
  logger: Logger,
): { sender: EmailSender; description: string; close: () => void } {
  const envelope = { from: settings.defaultFromEmail, subjectPrefix: settings.emailSubjectPrefix };
  if (settings.emailUrl) {
    const url = new URL(settings.emailUrl.reveal());
    const smtp = createSmtpSender(url.toString(), envelope);
    return {
      sender: smtp,
      description: `${url.protocol.slice(0, -1)} ${url.host}`,
      close: () => {
        smtp.close();
      },
    };
  }
  const sender =
    settings.profile === 'test'
      ? new MemoryOutbox(envelope)
      : createConsoleSender(logger, envelope);
  return {
    sender,
    description: settings.profile === 'test' ? 'in-memory outbox' : 'console (the log)',
    close: () => undefined,
  };
}

/** ADMIN_PATH's only segment (`/staff-x1` → `staff-x1`): reserved for codes and usernames. */
function adminSegment(settings: Settings): string {
  return settings.adminPath.replace(/^\//, '');
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
  await applyMigrations(database, {
    waiting: () => {
      logger.info(MIGRATION_LOCK_WAIT);
    },
    applied: (migration, durationMs) => {
      logger.info({ migration, durationMs }, 'applied migration');
    },
  });
}

/** Sentry, when SENTRY_DSN is set: the release defaults to the package's version. */
function startTracking(settings: Settings, dsn: string): Promise<ErrorTracking> {
  return startErrorTracking({
    dsn,
    release: settings.sentryRelease ?? `hoplink@${packageVersion() ?? 'unknown'}`,
    environment: settings.sentryEnvironment ?? settings.profile,
    tracesSampleRate: settings.sentryTracesSampleRate,
  });
}

/** The longest one dependency may take to close during a shutdown. */
const CLOSE_STEP_MS = 5_000;

export async function createContainer(
  settings: Settings,
  options: ContainerOptions = {},
): Promise<Container> {
  const logger = createLogger({
    level: settings.logLevel,
    format: settings.logFormat,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const metrics = createProcessMetrics();
  // Only a process that may be scraped pays for the GC observer and the event-loop monitor.
  if (settings.metricsToken || settings.metricsListen || settings.workerMetricsListen) {
    metrics.collectProcessMetrics();
  }
  const ownsDatabase = options.database === undefined;
  const database = options.database ?? (await openDatabase(databaseTarget(settings)));
  try {
    if (ownsDatabase) await prepareDatabase(database, settings, logger);
  } catch (error) {
    await database.close();
    throw error;
  }

  // With Redis, every process hears every link change within moments (decision 0004).
  const linkChannel = settings.redisUrl
    ? createRedisChannel({
        url: settings.redisUrl.reveal(),
        channel: `${settings.queuePrefix}:link-changes`,
        logger,
      })
    : null;
  const links = createLinksModule({
    db: database.db,
    siteUrl: settings.siteUrl,
    allowedHosts: settings.allowedHosts,
    defaultRedirectStatus: settings.redirectStatus,
    // The admin area's path wins over a link's; no link may hide behind it.
    reservedWords: [adminSegment(settings)],
    // Called once a link is created, long after `accounts` exists.
    ...(settings.emailVerification
      ? {
          creationGuard: (ownerId: string) =>
            accounts.emailVerification.assertMayCreateLinks(ownerId),
        }
      : {}),
    ...(linkChannel ? { changeChannel: linkChannel } : {}),
    onListenerError: (error) => {
      logger.error({ err: error }, 'a link change listener failed');
    },
  });

  // Aborted first thing on close: long jobs (click retention) stop after their current batch.
  const stopping = new AbortController();
  // The ports below call `jobs` only once something is enqueued, after `jobs` exists.
  const queueUrl = settings.queueMode === 'redis' ? settings.redisUrl : undefined;
  const analytics = createAnalyticsModule({
    db: database.db,
    links: links.links,
    siteUrl: settings.siteUrl,
    ipMode: settings.clickIpMode,
    secretKey: settings.secretKey,
    logger,
    retention: {
      clickDays: settings.clickRetentionDays,
      visitorDays: settings.clickVisitorRetentionDays,
    },
    pipeline: {
      send: (batch) =>
        jobs.enqueue('record-clicks', { clicks: [...batch.clicks] }, { jobId: batch.batchId }),
      isPermanent: (error) => error instanceof z.ZodError,
      batchSize: settings.clickBatchSize,
      flushIntervalMs: settings.clickFlushInterval,
      // Only Redis can be unreachable while this process runs; the other modes run jobs here.
      ...(queueUrl
        ? {
            spool: {
              dir: join(settings.dataDir, 'click-spool'),
              maxBytes: settings.clickSpoolMaxSize,
            },
          }
        : {}),
    },
  });

  const { sender: emailSender, close: closeEmail } = createEmailSender(settings, logger);
  const meteredEmailSender: EmailSender = {
    send: async (message) => {
      try {
        await emailSender.send(message);
      } catch (error) {
        metrics.emailSent('failed');
        throw error;
      }
      metrics.emailSent('sent');
    },
  };
  const emailJobs: AccountEmailJobs = {
    passwordReset: (userId) => jobs.enqueue('send-password-reset-email', { userId }),
    welcome: (userId) =>
      jobs.enqueue('send-welcome-email', { userId }).catch((error: unknown) => {
        logger.error({ err: error }, 'welcome email could not be queued');
      }),
    accountExists: (userId) =>
      jobs.enqueue('send-account-exists-email', { userId }).catch((error: unknown) => {
        logger.error({ err: error }, 'account-exists email could not be queued');
      }),
    accountDeleted: (recipient) =>
      jobs.enqueue('send-account-deleted-email', recipient).catch((error: unknown) => {
        logger.error({ err: error }, 'account-deleted email could not be queued');
      }),
    invitation: (invitationId) => jobs.enqueue('send-invitation-email', { invitationId }),
    emailVerification: (userId) =>
      jobs.enqueue('send-email-verification', { userId }).catch((error: unknown) => {
        logger.error({ err: error }, 'email confirmation could not be queued');
      }),
  };
  // Without Redis (development, tests) each process counts alone; production requires REDIS_URL.
  const rateLimitStore = settings.redisUrl
    ? createRedisRateLimitStore({
        url: settings.redisUrl.reveal(),
        prefix: settings.queuePrefix,
        logger,
      })
    : { ...createMemoryRateLimitStore(), close: () => Promise.resolve() };
  const accounts = createAccountsModule({
    db: database.db,
    emailJobs,
    mail: createAccountMail(meteredEmailSender),
    links: {
      addressesOf: (userId) => links.links.addressesOfAll(userId),
      forget: (addresses) => {
        links.changes.publish(addresses);
      },
    },
    siteUrl: settings.siteUrl,
    rateLimits: rateLimitStore,
    logger,
    passwordMinLength: settings.passwordMinLength,
    sessionIdleMs: settings.sessionCookieAge,
    sessionMaxAgeMs: settings.sessionMaxAge,
    reservedWords: [adminSegment(settings)],
    registrationMode: settings.registrationMode,
    invitationTtlMs: settings.invitationTtl,
    emailVerification: settings.emailVerification,
    emailVerificationTtlMs: settings.emailVerificationTtl,
  });
  // Fails the start when a registered job has no handler.
  const dispatchJob = metrics.meterJobs(
    createJobDispatcher(
      createJobHandlers({
        accountEmails: accounts.emails,
        clickWriter: {
          write: async (clicks) => {
            const inserted = await analytics.clickWriter.write(clicks);
            metrics.clicksWritten(clicks, inserted);
            return inserted;
          },
        },
        sessions: accounts.sessions,
        passwordReset: accounts.passwordReset,
        emailVerification: accounts.emailVerification,
        clickRetention: analytics.retention,
        stopping: stopping.signal,
        logger,
      }),
    ),
    (name) => (isJobName(name) ? JOBS[name].queue : undefined),
  );
  const jobs: JobQueue = queueUrl
    ? createBullmqQueue({ url: queueUrl.reveal(), prefix: settings.queuePrefix, logger })
    : settings.queueMode === 'eager'
      ? createEagerQueue(dispatchJob)
      : createMemoryQueue({ dispatch: dispatchJob, logger });
  const { clickSink, clickDelivery } = analytics;
  metrics.watchClickPipeline({ sink: clickSink, delivery: () => clickDelivery.stats() });
  // With Redis the queue is the worker's to report: each web process would count it again.
  if (jobs.mode === 'memory') metrics.watchQueues(() => jobs.overview({ failedLimit: 0 }));
  let stopSchedules = (): void => undefined;

  // Without the database uncached redirects, pages and the API fail. Without Redis redirects
  // and pages still work (clicks spool to disk) and what needs Redis fails on every instance
  // alike: a probe must not take them all out.
  const readiness = createReadiness(
    {
      database: { probe: () => database.ping(), essential: true },
      ...(jobs.mode === 'redis' ? { redis: { probe: () => jobs.ping(), essential: false } } : {}),
    },
    logger,
  );
  // Last, once nothing above can fail the start: a failed start has nothing to report.
  const errorTracking = settings.sentryDsn
    ? await startTracking(settings, settings.sentryDsn.reveal())
    : null;
  let closed = false;
  return {
    settings,
    logger,
    database,
    links: links.links,
    linkChanges: links.changes,
    clickSink,
    stats: analytics.stats,
    clickRetention: analytics.retention,
    dataExport: analytics.dataExport,
    emailSender,
    jobs,
    dispatchJob,
    users: accounts.users,
    sessions: accounts.sessions,
    passwordReset: accounts.passwordReset,
    apiTokens: accounts.apiTokens,
    accountDeletion: accounts.deletion,
    invitations: accounts.invitations,
    emailVerification: accounts.emailVerification,
    rateLimits: rateLimitStore,
    metrics,
    startBackgroundWork: () => {
      clickDelivery.start();
      if (jobs.mode === 'memory') stopSchedules = startInProcessSchedules(jobs, logger);
    },
    readiness,
    interruptLongJobs: () => {
      stopping.abort();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      stopping.abort();
      stopSchedules();
      // Each step is bounded: a dependency that stopped answering must not hold the process
      // past its shutdown (what a step leaves undone, the exit ends).
      const step = async (what: string, work: () => Promise<unknown>) => {
        if (!(await settlesWithin(work(), CLOSE_STEP_MS))) {
          logger.warn(
            { dependency: what, timeoutMs: CLOSE_STEP_MS },
            `${what} did not close in time`,
          );
        }
      };
      // Buffered clicks go to the queue (or the spool) before it closes.
      await step('click buffer', () => clickSink.close());
      await step('click delivery', () => clickDelivery.close());
      // In-flight jobs (memory mode) may still need the database and the mail transport.
      await step('job queue', () => jobs.close());
      await step('rate limits', () => rateLimitStore.close());
      if (linkChannel) await step('link broadcast', () => linkChannel.close());
      closeEmail();
      if (ownsDatabase) await step('database', () => database.close());
      // What the shutdown itself reported goes out too, or is dropped after 2 s.
      if (errorTracking) await step('error tracking', () => errorTracking.close(2_000));
    },
  };
}
