import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createEagerQueue } from './eager-queue.ts';
import { JOB_NAMES, type JobHandlers } from './job-registry.ts';
import { createJobDispatcher } from './worker-runner.ts';

/** A no-op handler for every registered job, with a test's own in place of some. */
function handlers(own: Partial<JobHandlers>): Partial<JobHandlers> {
  const noop = () => Promise.resolve();
  return { ...Object.fromEntries(JOB_NAMES.map((name) => [name, noop])), ...own };
}

test('the eager queue runs the job before enqueue returns, and its error propagates', async () => {
  const ran: string[] = [];
  const queue = createEagerQueue(
    createJobDispatcher(
      handlers({
        'send-password-reset-email': ({ userId }) => {
          ran.push(userId);
          return Promise.resolve();
        },
        'send-welcome-email': () => Promise.reject(new Error('smtp down')),
      }),
    ),
  );
  const userId = randomUUID();
  await queue.enqueue('send-password-reset-email', { userId });
  assert.deepEqual(ran, [userId]);
  await assert.rejects(queue.enqueue('send-welcome-email', { userId }), /smtp down/);
  // A payload that breaks the registry's schema is the producer's bug: refused at once.
  await assert.rejects(queue.enqueue('send-welcome-email', { userId: 'x' }));
  assert.deepEqual(ran, [userId]);
});

test('the eager queue keeps nothing: empty counts, no failed job to retry or remove', async () => {
  const queue = createEagerQueue(createJobDispatcher(handlers({})));
  const overview = await queue.overview();
  assert.deepEqual(
    overview.map(({ queue: name, counts, failed }) => [name, Object.values(counts), failed]),
    [
      ['email', [0, 0, 0, 0, 0], []],
      ['clicks', [0, 0, 0, 0, 0], []],
      ['default', [0, 0, 0, 0, 0], []],
    ],
  );
  assert.equal(await queue.retryFailed('email', 'any'), false);
  assert.equal(await queue.removeFailed('email', 'any'), false);
});
