import { z } from 'zod';

/**
 * The queues, each with its own workers so that a flood on one (clicks) never delays another
 * (a password-reset email).
 */
export const QUEUE_NAMES = ['email', 'clicks', 'default'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Attempts and exponential backoff (with jitter) of a job; the last failure dead-letters it. */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly attempts: number;
  /** Delay before the second attempt; doubled before each next one, then jittered. */
  readonly backoffDelayMs: number;
}

export interface JobDefinition<Payload extends z.ZodType = z.ZodType> {
  readonly queue: QueueName;
  /** Checked when a job is enqueued and again before its handler runs. */
  readonly payload: Payload;
  readonly retry: RetryPolicy;
}

const job = <Payload extends z.ZodType>(definition: JobDefinition<Payload>) => definition;

/** Email retries span about 40 minutes (5s, 10s, 20s … doubled, jittered) before giving up. */
const EMAIL_RETRY: RetryPolicy = { attempts: 10, backoffDelayMs: 5_000 };

/** Every job the application knows: name → queue, payload schema, retry policy. */
export const JOBS = {
  'send-password-reset-email': job({
    queue: 'email',
    payload: z.object({ userId: z.uuid() }),
    retry: EMAIL_RETRY,
  }),
  'send-welcome-email': job({
    queue: 'email',
    payload: z.object({ userId: z.uuid() }),
    retry: EMAIL_RETRY,
  }),
};

export type JobName = keyof typeof JOBS;
export const JOB_NAMES = Object.keys(JOBS) as JobName[];
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

/** What a handler knows about the run it is in (for its logs; never needed for correctness). */
export interface JobContext {
  readonly jobId: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

/** One idempotent handler per job: running it twice for one job must be harmless. */
export type JobHandlers = {
  readonly [N in JobName]: (payload: JobPayload<N>, context: JobContext) => Promise<void>;
};

/**
 * The delay before attempt `attempt + 1`: exponential from the policy's base, with "equal jitter"
 * (between half and all of it) so that jobs failing together do not retry together.
 */
export function backoffDelay(policy: RetryPolicy, failedAttempt: number, random = Math.random) {
  const ceiling = policy.backoffDelayMs * 2 ** Math.max(0, failedAttempt - 1);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
