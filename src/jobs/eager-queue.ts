import { randomUUID } from 'node:crypto';
import { JOBS, QUEUE_NAMES } from './job-registry.ts';
import type { Dispatch, JobCounts, JobQueue } from './queue.ts';

// Nothing waits or is kept: a job has run (or thrown at its producer) by the time enqueue returns.
const NO_JOBS: JobCounts = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };

/**
 * Tests: each job runs inline, once, when it is enqueued, and its error propagates to the
 * caller, so a test sees the effect (an email in the outbox) as soon as the call returns.
 */
export function createEagerQueue(dispatch: Dispatch): JobQueue {
  return {
    mode: 'eager',
    async enqueue(name, payload, options) {
      JOBS[name].payload.parse(payload);
      await dispatch(name, payload, { jobId: options?.jobId ?? randomUUID(), attempt: 1 });
    },
    ping: () => Promise.resolve(),
    overview: () =>
      Promise.resolve(QUEUE_NAMES.map((queue) => ({ queue, counts: NO_JOBS, failed: [] }))),
    retryFailed: () => Promise.resolve(false),
    removeFailed: () => Promise.resolve(false),
    close: () => Promise.resolve(),
  };
}
