import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createEagerQueue } from './eager-queue.ts';
import { createJobDispatcher } from './worker-runner.ts';

test('the eager queue runs the job before enqueue returns, and its error propagates', async () => {
  const ran: string[] = [];
  const queue = createEagerQueue(
    createJobDispatcher({
      'send-password-reset-email': ({ userId }) => {
        ran.push(userId);
        return Promise.resolve();
      },
      'send-welcome-email': () => Promise.reject(new Error('smtp down')),
    }),
  );
  const userId = randomUUID();
  await queue.enqueue('send-password-reset-email', { userId });
  assert.deepEqual(ran, [userId]);
  await assert.rejects(queue.enqueue('send-welcome-email', { userId }), /smtp down/);
  // A payload that breaks the registry's schema is the producer's bug: refused at once.
  await assert.rejects(queue.enqueue('send-welcome-email', { userId: 'x' }));
  assert.deepEqual(ran, [userId]);
});
