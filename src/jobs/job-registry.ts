import { z } from 'zod';
import {
  CLICK_BATCH_MAX,
  RAW_REFERRER_MAX_LENGTH,
  RAW_USER_AGENT_MAX_LENGTH,
} from '#src/modules/analytics/index.ts';

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
  /**
   * Checked before its handler runs; the in-process queues (development, tests) also check it
   * on enqueue, so a malformed payload fails where it is made.
   */
  readonly payload: Payload;
  readonly retry: RetryPolicy;
}

const job = <Payload extends z.ZodType>(definition: JobDefinition<Payload>) => definition;

/** Email retries span about 40 minutes (5s, 10s, 20s … doubled, jittered) before giving up. */
const EMAIL_RETRY: RetryPolicy = { attempts: 10, backoffDelayMs: 5_000 };

/**
 * A click batch waits out a database outage of about nine hours (2s, 4s, 8s … doubled, jittered)
 * before it lands in the failed set, from where the queue dashboard can retry it.
 */
const CLICKS_RETRY: RetryPolicy = { attempts: 15, backoffDelayMs: 2_000 };

/** A raw click as the redirect captured it (see RawClick); lengths as the redirect truncates. */
const rawClick = z.object({
  eventId: z.uuid(),
  linkId: z.uuid(),
  clickedAt: z.number().int().nonnegative(),
  referrer: z.string().max(RAW_REFERRER_MAX_LENGTH).nullable(),
  userAgent: z.string().max(RAW_USER_AGENT_MAX_LENGTH).nullable(),
  ip: z.string().max(64),
});

/** Every job the application knows: name → queue, payload schema, retry policy. */
export const JOBS = {
  'record-clicks': job({
    queue: 'clicks',
    payload: z.object({ clicks: z.array(rawClick).min(1).max(CLICK_BATCH_MAX) }),
    retry: CLICKS_RETRY,
  }),
  'purge-expired-auth': job({
    queue: 'default',
    payload: z.object({}),
    retry: { attempts: 3, backoffDelayMs: 60_000 },
  }),
  /** Enforces CLICK_RETENTION_DAYS and CLICK_VISITOR_RETENTION_DAYS (decision 0024). */
  'purge-old-clicks': job({
    queue: 'default',
    payload: z.object({}),
    retry: { attempts: 3, backoffDelayMs: 60_000 },
  }),
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
  /** To an address's owner when someone signs up with it (docs/decisions/0012). */
  'send-account-exists-email': job({
    queue: 'email',
    payload: z.object({ userId: z.uuid() }),
    retry: EMAIL_RETRY,
  }),
  /**
   * To the address of a deleted account. The account is gone, so the payload carries the address
   * and username: the only personal data a job holds (docs/decisions/0026).
   */
  'send-account-deleted-email': job({
    queue: 'email',
    payload: z.object({ email: z.string().min(3).max(320), username: z.string().min(1).max(64) }),
    retry: EMAIL_RETRY,
  }),
  /** An invitation's link, minted by the job: the payload is the invitation's id only (0027). */
  'send-invitation-email': job({
    queue: 'email',
    payload: z.object({ invitationId: z.uuid() }),
    retry: EMAIL_RETRY,
  }),
  /** A link that confirms an account's address, minted by the job (0027). */
  'send-email-verification': job({
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
