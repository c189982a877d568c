import { once } from 'node:events';
import { createContainer, describeRuntime, StartupError, type Container } from '#src/container.ts';
import { QUEUE_NAMES, type QueueName } from '#src/jobs/job-registry.ts';
import { registerSchedules } from '#src/jobs/schedules.ts';
import { startWorkers } from '#src/jobs/worker-runner.ts';
import { startHeartbeat } from '#src/process/heartbeat.ts';
import {
  DOTENV_OPTION,
  dotenvOption,
  loadSettingsOrReport,
  parseCommandLine,
  UsageError,
  withUsage,
} from './common.ts';

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
 * `hoplink worker [--queues email,clicks,default] [--concurrency N] [--dotenv F]`: processes jobs
 * from Redis until SIGTERM/SIGINT, then stops taking jobs, lets in-flight ones finish within
 * SERVER_SHUTDOWN_TIMEOUT (past it they go back to the queue), closes and exits 0.
 */
export function run(argv: string[]): Promise<number> {
  return withUsage(async () => {
    const { values } = parseCommandLine(argv, {
      queues: { type: 'string' },
      concurrency: { type: 'string' },
      ...DOTENV_OPTION,
    });
    const queues = parseQueues(values.queues);
    const concurrency = parseConcurrency(values.concurrency);
    const loaded = loadSettingsOrReport({ ...dotenvOption(values.dotenv) });
    if (!loaded) return 1;
    const { settings } = loaded;
    if (settings.queueMode !== 'redis' || !settings.redisUrl) {
      process.stderr.write(
        `Hoplink cannot start the worker: QUEUE_MODE is ${settings.queueMode}. Set REDIS_URL; without it the web process runs jobs itself.\n`,
      );
      return 1;
    }
    let container: Container;
    try {
      container = await createContainer(settings);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      process.stderr.write(`Hoplink cannot start the worker: ${reason}\n`);
      if (error instanceof StartupError) return 1;
      throw error;
    }
    const { logger } = container;
    // Signals are listened to before the first job can start, so none is missed.
    const signalled = Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
    const workers = await startWorkers({
      url: settings.redisUrl.reveal(),
      prefix: settings.queuePrefix,
      queues,
      concurrency,
      dispatch: container.dispatchJob,
      logger,
    });
    // The scheduled jobs run on the default queue; its workers keep their schedules registered.
    if (queues.includes('default')) {
      await registerSchedules(
        { url: settings.redisUrl.reveal(), prefix: settings.queuePrefix },
        logger,
      );
    }
    logger.info(
      { queues, concurrency, queue: describeRuntime(settings).queue, pid: process.pid },
      `worker processing ${queues.join(', ')}`,
    );
    const heartbeat = startHeartbeat();
    await signalled;
    logger.info('worker stopping: no new jobs; finishing the ones in flight');
    const finished = await workers.close(settings.serverShutdownTimeout);
    if (!finished) {
      logger.warn(
        { timeoutMs: settings.serverShutdownTimeout },
        'shutdown timeout passed: unfinished jobs go back to the queue',
      );
    }
    await container.close();
    // Alive until the in-flight jobs are done: a probe failing mid-drain would get it killed.
    heartbeat.stop();
    logger.info('worker stopped');
    return 0;
  });
}
