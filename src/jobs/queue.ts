import type { Logger } from '#src/lib/logger.ts';
import type { JobContext, JobName, JobPayload, QueueName } from './job-registry.ts';

export interface EnqueueOptions {
  /** Enqueueing twice with one id makes one job (where the adapter keeps ids: redis). */
  readonly jobId?: string;
  /** Wait this long before the first attempt. */
  readonly delayMs?: number;
}

/** How many jobs of one queue are in each state. */
export interface JobCounts {
  readonly waiting: number;
  readonly active: number;
  /** Waiting for a retry's backoff or an enqueue delay. */
  readonly delayed: number;
  /** Kept for a while after they end (redis: a day, at most 1000). */
  readonly completed: number;
  /** Dead letters: out of attempts, or failed for good. */
  readonly failed: number;
}

/** A dead-lettered job as staff may see it: never its payload (it may name an account). */
export interface FailedJob {
  readonly id: string;
  readonly name: string;
  readonly attemptsMade: number;
  /** The last error's message only, no stack. */
  readonly failedReason: string;
  readonly failedAt: Date;
}

export interface QueueOverview {
  readonly queue: QueueName;
  readonly counts: JobCounts;
  /** The latest failed jobs, newest first. */
  readonly failed: readonly FailedJob[];
}

/** What the staff dashboard may do with the queues; every adapter answers it. */
export interface QueueInspection {
  /** Every queue of the registry, in QUEUE_NAMES order. */
  overview(options?: { readonly failedLimit?: number }): Promise<readonly QueueOverview[]>;
  /**
   * Puts a failed job back in its queue for a fresh round of attempts. False when the queue
   * holds no failed job with that id (already retried or removed, say).
   */
  retryFailed(queue: QueueName, jobId: string): Promise<boolean>;
  /** Deletes a failed job for good; false as for retryFailed. */
  removeFailed(queue: QueueName, jobId: string): Promise<boolean>;
}

/** How many failed jobs `overview` lists per queue unless told. */
export const FAILED_JOBS_SHOWN = 20;

/** The port producers use; the container picks the adapter from QUEUE_MODE. */
export interface JobQueue extends QueueInspection {
  readonly mode: 'redis' | 'memory' | 'eager';
  /** Validates the payload against the registry, then hands the job over (or runs it: eager). */
  enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options?: EnqueueOptions,
  ): Promise<void>;
  /** Whether the backing store answers; used by /readyz. */
  ping(): Promise<void>;
  /** Stops taking jobs; safe to call twice. */
  close(): Promise<void>;
}

/** Runs one job by name: checks the payload, then calls its handler (see worker-runner.ts). */
export type Dispatch = (name: string, payload: unknown, context: JobContext) => Promise<void>;

/** A job that must not be retried (an unknown name, a payload that does not parse). */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

export interface FailedAttempt {
  readonly queue: string;
  readonly jobId: string;
  readonly job: string;
  /** 1-based: the attempt that just failed. */
  readonly attempt: number;
  readonly attempts: number;
  readonly error: unknown;
}

/**
 * One log line per failed attempt, with the job id and never the payload (it may name an
 * account). After the last attempt the job is dead-lettered: kept in the failed set for an
 * operator, and logged as an error.
 */
export function logFailedAttempt(logger: Logger, failure: FailedAttempt): void {
  const final = failure.attempt >= failure.attempts || failure.error instanceof PermanentJobError;
  const fields = {
    queue: failure.queue,
    jobId: failure.jobId,
    job: failure.job,
    attempt: failure.attempt,
    attempts: failure.attempts,
    // The logger's serializer keeps what is safe: a failed send names its recipient, a failed
    // query its parameters.
    err: failure.error,
  };
  if (final) {
    logger.error(
      { ...fields, deadLettered: true },
      `job ${failure.job} ${failure.jobId} failed for good (attempt ${failure.attempt}/${failure.attempts}): dead-lettered`,
    );
  } else {
    logger.warn(
      fields,
      `job ${failure.job} ${failure.jobId} failed (attempt ${failure.attempt}/${failure.attempts}): will retry`,
    );
  }
}

/** The message of whatever a job threw, as `failedReason` keeps it (BullMQ keeps the same). */
export function failureMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
