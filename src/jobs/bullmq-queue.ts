import { Queue, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { settlesWithin } from '#src/lib/deadline.ts';
import type { Logger } from '#src/lib/logger.ts';
import { JOBS, QUEUE_NAMES, type QueueName, type RetryPolicy } from './job-registry.ts';
import { FAILED_JOBS_SHOWN, type FailedJob, type JobQueue } from './queue.ts';

export interface RedisTarget {
  /** REDIS_URL (revealed only here, never logged). */
  readonly url: string;
  /** QUEUE_PREFIX: the Redis key prefix of every queue. */
  readonly prefix: string;
}

/**
 * A Redis connection. Producers fail a command after a few retries (a request must not hang on
 * an outage); workers' blocking connections retry forever, as BullMQ requires.
 */
export function redisConnection(
  url: string,
  role: 'producer' | 'worker',
  logger?: Pick<Logger, 'warn' | 'info'>,
): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 2, connectTimeout: 5_000 };
  const connection = new Redis(url, options);
  // ioredis reconnects by itself; say so once per outage rather than once per retry.
  let down = false;
  connection.on('error', (error: Error) => {
    if (down) return;
    down = true;
    // The logger's serializer drops what the error carries of the command (AUTH's password).
    logger?.warn({ role, err: error }, 'Redis unreachable; reconnecting');
  });
  connection.on('ready', () => {
    if (down) logger?.info({ role }, 'Redis reachable again');
    down = false;
  });
  return connection;
}

/** How long finished jobs are kept, for an operator to look at; failed ones are the dead letters. */
const KEEP_COMPLETED = { age: 24 * 3600, count: 1000 };
const KEEP_FAILED = { age: 14 * 24 * 3600 };

const COUNTED_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;

function toFailedJob(job: Job): FailedJob {
  return {
    id: job.id ?? '',
    name: job.name,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason,
    failedAt: new Date(job.finishedOn ?? job.timestamp),
  };
}

export interface BullmqQueueOptions extends RedisTarget {
  /** Overrides the registry's backoff base delay (tests shorten it). */
  readonly backoffDelayMs?: number;
  readonly logger?: Logger;
}

/** Production: one BullMQ queue per queue name in Redis; `hoplink worker` processes them. */
export function createBullmqQueue(options: BullmqQueueOptions): JobQueue {
  const connection = redisConnection(options.url, 'producer', options.logger);
  const queues = new Map<QueueName, Queue>(
    QUEUE_NAMES.map((name) => {
      const queue = new Queue(name, { connection, prefix: options.prefix });
      // Connection errors are logged once by the connection itself (above).
      queue.on('error', () => undefined);
      return [name, queue];
    }),
  );
  let closing: Promise<void> | undefined;

  function queueOf(name: QueueName): Queue {
    const queue = queues.get(name);
    if (!queue) throw new Error(`no queue named ${name}`);
    return queue;
  }

  /**
   * The failed job with this id, acted on; false when there is none. A job another request
   * retried or removed meanwhile makes BullMQ throw, which is the same "no such failed job".
   */
  async function withFailedJob(
    name: QueueName,
    jobId: string,
    act: (job: Job) => Promise<unknown>,
  ): Promise<boolean> {
    const job: Job | undefined = await queueOf(name).getJob(jobId);
    if (!job || !(await job.isFailed())) return false;
    try {
      await act(job);
      return true;
    } catch (error) {
      if (await job.isFailed()) throw error;
      return false;
    }
  }

  function jobOptions(retry: RetryPolicy) {
    return {
      attempts: retry.attempts,
      backoff: {
        type: 'exponential',
        delay: options.backoffDelayMs ?? retry.backoffDelayMs,
        jitter: 0.5,
      },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    };
  }

  return {
    mode: 'redis',
    async enqueue(name, payload, enqueueOptions) {
      const definition = JOBS[name];
      // Not parsed here: the payload is ours and typed, and a click batch of 500 through zod on
      // every flush cost the web process more than the Redis write. The worker parses it, where
      // it re-enters from Redis (worker-runner.ts).
      await queueOf(definition.queue).add(name, payload, {
        ...jobOptions(definition.retry),
        ...(enqueueOptions?.jobId ? { jobId: enqueueOptions.jobId } : {}),
        ...(enqueueOptions?.delayMs ? { delay: enqueueOptions.delayMs } : {}),
      });
    },
    async ping() {
      await connection.ping();
    },
    overview(overviewOptions) {
      const limit = overviewOptions?.failedLimit ?? FAILED_JOBS_SHOWN;
      return Promise.all(
        QUEUE_NAMES.map(async (name) => {
          const queue = queueOf(name);
          const [counts, failed] = await Promise.all([
            queue.getJobCounts(...COUNTED_STATES),
            limit > 0 ? queue.getJobs(['failed'], 0, limit - 1) : [],
          ]);
          return {
            queue: name,
            counts: {
              waiting: counts.waiting ?? 0,
              active: counts.active ?? 0,
              delayed: counts.delayed ?? 0,
              completed: counts.completed ?? 0,
              failed: counts.failed ?? 0,
            },
            failed: failed.map(toFailedJob),
          };
        }),
      );
    },
    retryFailed(name, jobId) {
      // A fresh round of the registry's attempts, as if newly enqueued: an operator retries
      // once the cause is fixed, and a blip during that retry should not dead-letter it again.
      return withFailedJob(name, jobId, (job) =>
        job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }),
      );
    },
    removeFailed(name, jobId) {
      return withFailedJob(name, jobId, (job) => job.remove());
    },
    close() {
      closing ??= (async () => {
        await settlesWithin(Promise.all([...queues.values()].map((queue) => queue.close())), 2_000);
        // quit() waits for a reply that never comes while Redis is away.
        if (connection.status === 'ready') await settlesWithin(connection.quit(), 1_000);
        connection.disconnect();
      })();
      return closing;
    },
  };
}
