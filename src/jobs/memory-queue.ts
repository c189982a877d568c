import { randomUUID } from 'node:crypto';
import type { Logger } from '#src/lib/logger.ts';
import {
  backoffDelay,
  JOBS,
  QUEUE_NAMES,
  type JobName,
  type QueueName,
  type RetryPolicy,
} from './job-registry.ts';
import {
  FAILED_JOBS_SHOWN,
  failureMessage,
  logFailedAttempt,
  PermanentJobError,
  type Dispatch,
  type JobQueue,
} from './queue.ts';

export interface MemoryQueueOptions {
  readonly dispatch: Dispatch;
  readonly logger: Logger;
  /** Jobs run at once per queue (each queue has its own slots, as with redis). */
  readonly concurrency?: number;
  /** Delay before the next attempt; the registry's backoff unless a test shortens it. */
  readonly delay?: (policy: RetryPolicy, failedAttempt: number) => number;
}

interface PendingJob {
  readonly id: string;
  readonly name: JobName;
  readonly payload: unknown;
  readonly attempt: number;
}

/** A dead letter, kept (payload included) so that staff can retry it. */
interface FailedEntry {
  readonly job: PendingJob;
  readonly failedReason: string;
  readonly failedAt: Date;
}

/** Failed jobs kept per queue, oldest dropped first: payloads (click batches) can be large. */
const KEEP_FAILED = 100;

export interface MemoryQueue extends JobQueue {
  /** Resolves once nothing is queued, running or waiting for a retry (tests). */
  idle(): Promise<void>;
}

/**
 * Development without Redis: jobs run inside this process with the same retries and backoff as
 * with BullMQ, but live only in memory, so a restart loses whatever was queued (said loudly).
 */
export function createMemoryQueue(options: MemoryQueueOptions): MemoryQueue {
  const concurrency = options.concurrency ?? 2;
  const delay = options.delay ?? backoffDelay;
  const pending = new Map<QueueName, PendingJob[]>(QUEUE_NAMES.map((queue) => [queue, []]));
  const running = new Map<QueueName, number>(QUEUE_NAMES.map((queue) => [queue, 0]));
  const retryTimers = new Set<NodeJS.Timeout>();
  // Only for the staff dashboard: counts BullMQ would keep in Redis.
  const delayed = new Map<QueueName, number>(QUEUE_NAMES.map((queue) => [queue, 0]));
  const completed = new Map<QueueName, number>(QUEUE_NAMES.map((queue) => [queue, 0]));
  const failed = new Map<QueueName, FailedEntry[]>(QUEUE_NAMES.map((queue) => [queue, []]));
  let idleWaiters: (() => void)[] = [];
  let closed = false;

  options.logger.warn(
    'QUEUE_MODE=memory: jobs run inside this process and are LOST ON RESTART; set REDIS_URL and run `hoplink worker` for durable jobs',
  );

  const add = (counts: Map<QueueName, number>, queue: QueueName, by: number) => {
    counts.set(queue, (counts.get(queue) ?? 0) + by);
  };

  /** Runs `start` after `ms`, counted as delayed meanwhile and kept from idle() and close(). */
  function later(queue: QueueName, ms: number, start: () => void): void {
    add(delayed, queue, 1);
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      add(delayed, queue, -1);
      start();
    }, ms);
    retryTimers.add(timer);
  }

  function deadLetter(queue: QueueName, job: PendingJob, error: unknown): void {
    const entries = failed.get(queue) ?? [];
    entries.push({ job, failedReason: failureMessage(error), failedAt: new Date() });
    if (entries.length > KEEP_FAILED) entries.shift();
  }

  /** Takes the newest failed job with this id out of its queue's dead letters. */
  function takeFailed(queue: QueueName, jobId: string): PendingJob | null {
    const entries = failed.get(queue) ?? [];
    const index = entries.findLastIndex((entry) => entry.job.id === jobId);
    if (index < 0) return null;
    const [entry] = entries.splice(index, 1);
    return entry?.job ?? null;
  }

  const busy = () =>
    retryTimers.size > 0 ||
    [...running.values()].some((count) => count > 0) ||
    [...pending.values()].some((jobs) => jobs.length > 0);

  function settle(): void {
    if (busy()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function pump(queue: QueueName): void {
    const jobs = pending.get(queue) ?? [];
    while (!closed && jobs.length > 0 && (running.get(queue) ?? 0) < concurrency) {
      const job = jobs.shift();
      if (job) void run(queue, job);
    }
    settle();
  }

  async function run(queue: QueueName, job: PendingJob): Promise<void> {
    running.set(queue, (running.get(queue) ?? 0) + 1);
    const policy = JOBS[job.name].retry;
    try {
      await options.dispatch(job.name, job.payload, { jobId: job.id, attempt: job.attempt });
      add(completed, queue, 1);
    } catch (error) {
      logFailedAttempt(options.logger, {
        queue,
        jobId: job.id,
        job: job.name,
        attempt: job.attempt,
        attempts: policy.attempts,
        error,
      });
      const final = job.attempt >= policy.attempts || error instanceof PermanentJobError;
      if (final) {
        deadLetter(queue, job, error);
      } else if (!closed) {
        later(queue, delay(policy, job.attempt), () => {
          pending.get(queue)?.push({ ...job, attempt: job.attempt + 1 });
          pump(queue);
        });
      }
    } finally {
      running.set(queue, (running.get(queue) ?? 1) - 1);
      pump(queue);
    }
  }

  return {
    mode: 'memory',
    enqueue(name, payload, enqueueOptions) {
      if (closed) return Promise.reject(new Error('the job queue is closed'));
      const definition = JOBS[name];
      definition.payload.parse(payload);
      const job = { id: enqueueOptions?.jobId ?? randomUUID(), name, payload, attempt: 1 };
      const start = () => {
        pending.get(definition.queue)?.push(job);
        pump(definition.queue);
      };
      if (enqueueOptions?.delayMs) {
        later(definition.queue, enqueueOptions.delayMs, start);
      } else {
        start();
      }
      return Promise.resolve();
    },
    ping: () => Promise.resolve(),
    overview(overviewOptions) {
      const limit = overviewOptions?.failedLimit ?? FAILED_JOBS_SHOWN;
      return Promise.resolve(
        QUEUE_NAMES.map((queue) => {
          const dead = failed.get(queue) ?? [];
          return {
            queue,
            counts: {
              waiting: pending.get(queue)?.length ?? 0,
              active: running.get(queue) ?? 0,
              delayed: delayed.get(queue) ?? 0,
              completed: completed.get(queue) ?? 0,
              failed: dead.length,
            },
            failed: dead
              .slice(Math.max(0, dead.length - limit))
              .reverse()
              .map(({ job, failedReason, failedAt }) => ({
                id: job.id,
                name: job.name,
                attemptsMade: job.attempt,
                failedReason,
                failedAt,
              })),
          };
        }),
      );
    },
    retryFailed(queue, jobId) {
      if (closed) return Promise.reject(new Error('the job queue is closed'));
      const job = takeFailed(queue, jobId);
      if (!job) return Promise.resolve(false);
      // A fresh round of attempts, as the redis adapter does.
      pending.get(queue)?.push({ ...job, attempt: 1 });
      pump(queue);
      return Promise.resolve(true);
    },
    removeFailed(queue, jobId) {
      return Promise.resolve(takeFailed(queue, jobId) !== null);
    },
    idle() {
      if (!busy()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
      for (const queue of QUEUE_NAMES) delayed.set(queue, 0);
      const lost = [...pending.values()].reduce((sum, jobs) => sum + jobs.length, 0);
      if (lost > 0) options.logger.warn({ lost }, 'in-process queue closed with jobs never run');
      for (const jobs of pending.values()) jobs.length = 0;
      // In-flight jobs finish (settle() fires when the last one ends).
      await new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settle();
      });
    },
  };
}
