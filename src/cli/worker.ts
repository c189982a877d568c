import { once } from 'node:events';
import { Redis } from 'ioredis';
import { createContainer, describeRuntime, StartupError, type Container } from '#src/container.ts';
import { QUEUE_NAMES, type QueueName } from '#src/jobs/job-registry.ts';
import { registerSchedules } from '#src/jobs/schedules.ts';
import { startWorkers } from '#src/jobs/worker-runner.ts';
import { reportFatalError } from '#src/lib/error-tracking.ts';
import { startHeartbeat } from '#src/process/heartbeat.ts';
import { startWorkerMetrics } from '#src/process/worker-metrics.ts';
import { WORKER } from './commands.ts';
import { loadSettingsOrReport, parseCommand, UsageError, withUsage } from './common.ts';
import { reaching } from './dependency-failure.ts';
import type { Invocation } from './invocation.ts';

function parseQueues(value: string | undefined): QueueName[] {
  if (value === undefined) return [...QUEUE_NAMES];
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(QUEUE_NAMES as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--queues: expected a comma-separated list of ${QUEUE_NAMES.join(', ')}; got "${value}"`,
    );
  }
  return [...new Set(names)] as QueueName[];
}

function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return 4;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new UsageError(`--concurrency: expected a whole number from 1 to 1000; got "${value}"`);
  }
  return count;
}

/**
 * One connection and a PING, no retries: BullMQ would retry forever, logging each attempt, where
 * a wrong password or host deserves one clear line and exit code 1 (a supervisor restarts us).
 */
async function checkRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // connect() rejects with "Connection is closed"; the error event before it says why.
  let cause: unknown;
  client.on('error', (error: unknown) => {
    cause ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw cause ?? error;
  } finally {
    client.disconnect();
  }
}

/**
 * `hoplink worker [--queues email,clicks,default] [--concurrency N] [--dotenv F]`: processes jobs
 * from Redis until SIGTERM/SIGINT, then stops taking jobs, lets in-flight ones finish within
 * SERVER_SHUTDOWN_TIMEOUT (past it they go back to the queue), closes and exits 0.
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  const { stderr } = invocation;
  return withUsage(stderr, async () => {
    const { values } = parseCommand(WORKER, argv);
    const queues = parseQueues(values.queues);
    const concurrency = parseConcurrency(values.concurrency);
    const loaded = loadSettingsOrReport(invocation, values.dotenv);
    if (!loaded) return 1;
    const { settings } = loaded;
    if (settings.queueMode !== 'redis' || !settings.redisUrl) {
      stderr.write(
        `Hoplink cannot start the worker: QUEUE_MODE is ${settings.queueMode}. Set REDIS_URL; without it the web process runs jobs itself.\n`,
      );
      return 1;
    }
    const redisUrl = settings.redisUrl.reveal();
    await reaching('redis', settings, () => checkRedis(redisUrl));
    let container: Container;
    try {
      container = await reaching('database', settings, () => createContainer(settings));
    } catch (error) {
      if (!(error instanceof StartupError)) throw error;
      stderr.write(`Hoplink cannot start the worker: ${error.message}\n`);
      return 1;
    }
    // WORKER_METRICS_LISTEN (decision 0022): an address that cannot be bound stops the start.
    const metrics = await startWorkerMetrics(container).catch(async (error: unknown) => {
      await container.close();
      if (!(error instanceof StartupError)) throw error;
      stderr.write(`Hoplink cannot start the worker: ${error.message}\n`);
      return undefined;
    });
    if (metrics === undefined) return 1;
    const { logger } = container;
    // Node would print the error with all its properties (a query's parameters) on stderr.
    process.on('uncaughtException', (error) => {
      logger.fatal({ err: error }, 'uncaught exception; worker exiting');
      // As a web worker does: 2 s for the error tracker's report, then the process goes.
      void reportFatalError(error, 2_000).finally(() => process.exit(1));
    });
    // Signals are listened to before the first job can start, so none is missed.
    const signalled = Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]).then(() => {
      // Whatever still holds the event loop (a Redis connection retrying) must not keep a
      // stopped worker alive: past the shutdown timeout and a margin, the process ends.
      setTimeout(() => {
        logger.warn('worker still busy after the shutdown timeout; exiting');
        // eslint-disable-next-line no-restricted-properties -- ends the worker's own process
        process.exit(process.exitCode ?? 0);
      }, settings.serverShutdownTimeout + 5_000).unref();
    });
    const starting = (async () => {
      const started = await startWorkers({
        url: redisUrl,
        prefix: settings.queuePrefix,
        queues,
        concurrency,
        dispatch: container.dispatchJob,
        logger,
      });
      // The scheduled jobs run on the default queue; its workers keep their schedules registered.
      if (queues.includes('default')) {
        await registerSchedules({ url: redisUrl, prefix: settings.queuePrefix }, logger);
      }
      return started;
    })();
    // Redis can go away between the start check and the workers being ready: a SIGTERM then
    // must not wait for it to come back.
    const workers = await Promise.race([starting, signalled.then(() => null)]);
    if (workers === null) {
      logger.info('worker stopping before it started');
      void starting.then((started) => started.close(0)).catch(() => undefined);
      await metrics?.close();
      await container.close();
      return 0;
    }
    logger.info(
      { queues, concurrency, queue: describeRuntime(settings).queue, pid: process.pid },
      `worker processing ${queues.join(', ')}`,
    );
    const heartbeat = startHeartbeat();
    await signalled;
    logger.info('worker stopping: no new jobs; finishing the ones in flight');
    // A retention pass would otherwise run on to the shutdown timeout; it resumes next run.
    container.interruptLongJobs();
    const finished = await workers.close(settings.serverShutdownTimeout);
    if (!finished) {
      logger.warn(
        { timeoutMs: settings.serverShutdownTimeout },
        'shutdown timeout passed: unfinished jobs go back to the queue',
      );
    }
    await metrics?.close();
    await container.close();
    // Alive until the in-flight jobs are done: a probe failing mid-drain would get it killed.
    heartbeat.stop();
    logger.info('worker stopped');
    return 0;
  });
}
