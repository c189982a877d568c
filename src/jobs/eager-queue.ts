import { randomUUID } from 'node:crypto';
import { JOBS } from './job-registry.ts';
import type { Dispatch, JobQueue } from './queue.ts';

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
    close: () => Promise.resolve(),
  };
}
