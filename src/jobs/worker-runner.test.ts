import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { PermanentJobError } from './queue.ts';
import { createJobDispatcher, MissingJobHandlerError } from './worker-runner.ts';

const noop = () => Promise.resolve();

test('startup fails when a registered job has no handler, naming it', () => {
  assert.throws(
    () => createJobDispatcher({ 'send-password-reset-email': noop }),
    (error: unknown) =>
      error instanceof MissingJobHandlerError && /send-welcome-email/.test(error.message),
  );
});

test('a handler gets the validated payload; a bad payload or unknown job is permanent', async () => {
  const seen: unknown[] = [];
  const dispatch = createJobDispatcher({
    'send-password-reset-email': (payload) => {
      seen.push(payload);
      return Promise.resolve();
    },
    'send-welcome-email': noop,
    'send-account-exists-email': noop,
    'send-account-deleted-email': noop,
    'send-invitation-email': noop,
    'send-email-verification': noop,
    'record-clicks': noop,
    'purge-expired-auth': noop,
    'purge-old-clicks': noop,
  });
  const userId = randomUUID();
  await dispatch('send-password-reset-email', { userId }, { jobId: '1', attempt: 1 });
  assert.deepEqual(seen, [{ userId }]);
  await assert.rejects(
    dispatch('send-password-reset-email', { userId: 'not-a-uuid' }, { jobId: '2', attempt: 1 }),
    PermanentJobError,
  );
  await assert.rejects(dispatch('no-such-job', {}, { jobId: '3', attempt: 1 }), PermanentJobError);
  assert.equal(seen.length, 1);
});
