import type { Logger } from '#src/lib/logger.ts';
import type { JobContext, JobName, JobPayload } from './job-registry.ts';

export interface EnqueueOptions {
  /** Enqueueing twice with one id makes one job (where the adapter keeps ids: redis). */
  readonly jobId?: string;
  /** Wait this long before the first attempt. */
  readonly delayMs?: number;
}

/** The port producers use; the container picks the adapter from QUEUE_MODE. */
export interface JobQueue {
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
  const error =
    failure.error instanceof Error
      ? { type: failure.error.name, message: failure.error.message }
      : { message: String(failure.error) };
  const fields = {
    queue: failure.queue,
    jobId: failure.jobId,
    job: failure.job,
    attempt: failure.attempt,
    attempts: failure.attempts,
    error,
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
