import { Queue } from 'bullmq';
import type { Logger } from '#src/lib/logger.ts';
import { redisConnection, type RedisTarget } from './bullmq-queue.ts';
import { JOBS } from './job-registry.ts';
import type { JobQueue } from './queue.ts';

/** A job enqueued on a fixed period, with an empty payload. */
export interface Schedule {
  readonly job: 'purge-expired-auth' | 'purge-old-clicks';
  readonly everyMs: number;
}

export const SCHEDULES: readonly Schedule[] = [
  { job: 'purge-expired-auth', everyMs: 3_600_000 },
  // Cutoffs move at midnight UTC; hourly runs find nothing to do (in milliseconds) until then.
  { job: 'purge-old-clicks', everyMs: 3_600_000 },
];

/**
 * Redis: registers each schedule with BullMQ (an upsert by id, so every worker may do it at
 * start and one job is enqueued per period however many workers run).
 */
export async function registerSchedules(
  target: RedisTarget,
  logger: Logger,
  schedules: readonly Schedule[] = SCHEDULES,
): Promise<void> {
  const connection = redisConnection(target.url, 'producer', logger);
  try {
    for (const schedule of schedules) {
      const { queue: queueName, retry } = JOBS[schedule.job];
      const queue = new Queue(queueName, { connection, prefix: target.prefix });
      try {
        await queue.upsertJobScheduler(
          schedule.job,
          { every: schedule.everyMs },
          {
            name: schedule.job,
            data: {},
            opts: {
              attempts: retry.attempts,
              backoff: { type: 'exponential', delay: retry.backoffDelayMs, jitter: 0.5 },
              removeOnComplete: { count: 100 },
              removeOnFail: { age: 14 * 24 * 3600 },
            },
          },
        );
      } finally {
        await queue.close();
      }
    }
  } finally {
    await connection.quit().catch(() => {
      connection.disconnect();
    });
  }
}

/** The in-process queue: a timer per schedule in this process. Returns the function that stops them. */
export function startInProcessSchedules(
  jobs: JobQueue,
  logger: Logger,
  schedules: readonly Schedule[] = SCHEDULES,
): () => void {
  const timers = schedules.map((schedule) => {
    const timer = setInterval(() => {
      jobs.enqueue(schedule.job, {}).catch((error: unknown) => {
        logger.error({ err: error, job: schedule.job }, 'a scheduled job could not be queued');
      });
    }, schedule.everyMs);
    timer.unref();
    return timer;
  });
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
