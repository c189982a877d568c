import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectionFailure } from '#src/lib/connection-failure.ts';
import { reportError } from '#src/lib/error-tracking.ts';
import { settlesWithin } from '#src/lib/deadline.ts';
import type { Logger } from '#src/lib/logger.ts';
import { redisConnection, type RedisTarget } from './bullmq-queue.ts';
import {
  isJobName,
  JOB_NAMES,
  JOBS,
  type JobContext,
  type JobHandlers,
  type QueueName,
} from './job-registry.ts';
import { logFailedAttempt, PermanentJobError, type Dispatch } from './queue.ts';

/** Thrown at startup when a registered job has no handler (a deploy must not half-work). */
export class MissingJobHandlerError extends Error {
  override readonly name = 'MissingJobHandlerError';
}

/**
 * The one place a job's payload meets its handler: checks that every registered job has a
 * handler (at startup), then for each run validates the payload before calling the handler.
 * A job failing its last attempt (or for good) is reported to error tracking, by its name and
 * id, never its payload; earlier attempts may still succeed.
 */
export function createJobDispatcher(handlers: Partial<JobHandlers>): Dispatch {
  const missing = JOB_NAMES.filter((name) => typeof handlers[name] !== 'function');
  if (missing.length > 0) {
    throw new MissingJobHandlerError(`registered job(s) without a handler: ${missing.join(', ')}`);
  }
  const complete = handlers as JobHandlers;
  const run: Dispatch = async (name, payload, context) => {
    if (!isJobName(name)) throw new PermanentJobError(`unknown job ${name}`);
    const parsed = JOBS[name].payload.safeParse(payload);
    if (!parsed.success) throw new PermanentJobError(`job ${name} has an invalid payload`);
    // The registry ties each name to its payload type; TypeScript cannot follow it through a union.
    const handler = complete[name] as (payload: unknown, context: JobContext) => Promise<void>;
    await handler(parsed.data, context);
  };
  return async (name, payload, context: JobContext) => {
    try {
      await run(name, payload, context);
    } catch (error) {
      const known = isJobName(name);
      const attempts = known ? JOBS[name].retry.attempts : 1;
      if (error instanceof PermanentJobError || context.attempt >= attempts) {
        reportError(error, {
          tags: {
            job: known ? name : 'unknown',
            job_id: context.jobId,
            ...(known ? { queue: JOBS[name].queue } : {}),
            attempt: context.attempt,
          },
        });
      }
      throw error;
    }
  };
}

/** How often a worker says again that Redis is still failing (with how many errors since). */
const OUTAGE_LOG_INTERVAL_MS = 60_000;

export interface WorkerRunnerOptions extends RedisTarget {
  readonly queues: readonly QueueName[];
  /** Jobs run at once per queue in this process. */
  readonly concurrency: number;
  readonly dispatch: Dispatch;
  readonly logger: Logger;
}

export interface RunningWorkers {
  /**
   * Stops taking jobs and lets in-flight ones finish within `timeoutMs`; past it, their locks are
   * dropped and Redis hands them to another worker (stalled-job recovery). True when all finished.
   */
  close(timeoutMs: number): Promise<boolean>;
}

/**
 * Processes the chosen queues from Redis. BullMQ recovers stalled jobs (a worker that died
 * mid-job) by moving them back to waiting; a job failing its last attempt stays in the failed
 * set: the dead letters.
 */
export async function startWorkers(options: WorkerRunnerOptions): Promise<RunningWorkers> {
  const connections: Redis[] = [];
  const workers = options.queues.map((queue) => {
    const connection = redisConnection(options.url, 'worker', options.logger);
    connections.push(connection);
    const worker = new Worker(
      queue,
      async (job) => {
        const attempt = job.attemptsMade + 1;
        const jobId = job.id ?? '(no id)';
        try {
          await options.dispatch(job.name, job.data, { jobId, attempt });
        } catch (error) {
          logFailedAttempt(options.logger, {
            queue,
            jobId,
            job: job.name,
            attempt,
            attempts: job.opts.attempts ?? 1,
            error,
          });
          if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
          throw error;
        }
      },
      {
        connection,
        prefix: options.prefix,
        concurrency: options.concurrency,
        // A worker that dies mid-job hands it back within about 20 s (its lock lapses, the next
        // stalled check requeues it) instead of BullMQ's 30-60 s; locks renew every 7.5 s.
        lockDuration: 15_000,
        stalledInterval: 5_000,
        // A job may survive a few crashes of its workers before it is failed (dead-lettered).
        maxStalledCount: 3,
        autorun: false,
      },
    );
    let outageLoggedAt = Number.NEGATIVE_INFINITY;
    let outageRepeats = 0;
    worker.on('error', (error) => {
      // BullMQ re-emits every failed reconnect of its connections, one every few seconds while
      // Redis is down or refuses the password: a line a minute per queue says it as well.
      if (connectionFailure(error) !== null) {
        const now = Date.now();
        if (now - outageLoggedAt < OUTAGE_LOG_INTERVAL_MS) {
          outageRepeats += 1;
          return;
        }
        options.logger.error(
          { queue, err: error, repeats: outageRepeats },
          'queue worker cannot use Redis; retrying',
        );
        outageLoggedAt = now;
        outageRepeats = 0;
        return;
      }
      options.logger.error({ queue, err: error }, 'queue worker error');
      reportError(error, { tags: { queue, source: 'queue worker' } });
    });
    worker.on('stalled', (jobId) => {
      options.logger.warn({ queue, jobId }, `job ${jobId} stalled; moved back to the queue`);
    });
    return worker;
  });
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  for (const worker of workers) void worker.run();

  return {
    async close(timeoutMs) {
      const closing = Promise.all(workers.map((worker) => worker.close()));
      const finished = await Promise.race([
        closing.then(() => true),
        sleep(timeoutMs, false, { ref: false }),
      ]);
      // Forcing and quitting need Redis too: bounded, then the connections are simply dropped
      // (a job whose lock lapses goes back to the queue for another worker).
      if (!finished) {
        await settlesWithin(Promise.all(workers.map((worker) => worker.close(true))), 2_000);
      }
      await Promise.all(
        connections.map(async (connection) => {
          if (connection.status === 'ready') await settlesWithin(connection.quit(), 1_000);
          connection.disconnect();
        }),
      );
      return finished;
    },
  };
}
