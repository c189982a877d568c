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
import { logFailedAttempt, PermanentJobError, type Dispatch, type JobQueue } from './queue.ts';

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
  let idleWaiters: (() => void)[] = [];
  let closed = false;

  options.logger.warn(
    'QUEUE_MODE=memory: jobs run inside this process and are LOST ON RESTART; set REDIS_URL and run `hoplink worker` for durable jobs',
  );

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
    } catch (error) {
      logFailedAttempt(options.logger, {
        queue,
        jobId: job.id,
        job: job.name,
        attempt: job.attempt,
        attempts: policy.attempts,
        error,
      });
      if (job.attempt < policy.attempts && !(error instanceof PermanentJobError) && !closed) {
        const timer = setTimeout(
          () => {
            retryTimers.delete(timer);
            pending.get(queue)?.push({ ...job, attempt: job.attempt + 1 });
            pump(queue);
          },
          delay(policy, job.attempt),
        );
        retryTimers.add(timer);
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
        const timer = setTimeout(() => {
          retryTimers.delete(timer);
          start();
        }, enqueueOptions.delayMs);
        retryTimers.add(timer);
      } else {
        start();
      }
      return Promise.resolve();
    },
    ping: () => Promise.resolve(),
    idle() {
      if (!busy()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
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
