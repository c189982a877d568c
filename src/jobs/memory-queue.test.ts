import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createLogger } from '#src/lib/logger.ts';
import { LogCollector } from '#test/helpers/test-app.ts';
import { backoffDelay } from './job-registry.ts';
import { createMemoryQueue } from './memory-queue.ts';
import { createJobDispatcher } from './worker-runner.ts';

function setup(resetHandler: (attempt: number) => Promise<void>) {
  const logs = new LogCollector();
  const attempts: { attempt: number; at: number }[] = [];
  const queue = createMemoryQueue({
    dispatch: createJobDispatcher({
      'send-password-reset-email': (_payload, { attempt }) => {
        attempts.push({ attempt, at: performance.now() });
        return resetHandler(attempt);
      },
      'send-welcome-email': () => Promise.resolve(),
    }),
    logger: createLogger({ level: 'info', format: 'json', destination: logs }),
    // Exponential backoff in tens of milliseconds instead of seconds (capped to keep tests quick).
    delay: (_policy, failed) => Math.min(20 * 2 ** (failed - 1), 100),
  });
  return { logs, attempts, queue };
}

test('the in-process queue warns loudly that jobs are lost on restart', async () => {
  const { logs, queue } = setup(() => Promise.resolve());
  assert.match(logs.text, /LOST ON RESTART/);
  await queue.close();
});

test('a failing job is retried with growing delays until it succeeds', async () => {
  const { logs, attempts, queue } = setup((attempt) =>
    attempt < 3 ? Promise.reject(new Error(`refused ${attempt}`)) : Promise.resolve(),
  );
  const userId = randomUUID();
  await queue.enqueue('send-password-reset-email', { userId }, { jobId: 'reset-1' });
  await queue.idle();
  assert.deepEqual(
    attempts.map((a) => a.attempt),
    [1, 2, 3],
  );
  const [first, second, third] = attempts.map((a) => a.at);
  assert.ok(first !== undefined && second !== undefined && third !== undefined);
  assert.ok(second - first >= 15, `first backoff ${second - first}ms`);
  assert.ok(third - second >= 35, `second backoff ${third - second}ms (doubled)`);
  const failures = logs.entries().filter((entry) => entry.jobId === 'reset-1');
  assert.deepEqual(
    failures.map((entry) => [entry.attempt, entry.level]),
    [
      [1, 'warn'],
      [2, 'warn'],
    ],
  );
  assert.ok(!logs.text.includes(userId), 'the payload is never logged');
  await queue.close();
});

test('after the last attempt the job is dead-lettered, logged once as an error', async () => {
  const { logs, attempts, queue } = setup(() => Promise.reject(new Error('mailbox unavailable')));
  await queue.enqueue('send-password-reset-email', { userId: randomUUID() }, { jobId: 'dead-1' });
  await queue.idle();
  assert.equal(attempts.length, 10, 'the registry allows 10 attempts');
  const final = logs.entries().filter((entry) => entry.deadLettered === true);
  assert.equal(final.length, 1);
  assert.equal(final[0]?.level, 'error');
  assert.equal(logs.entries().filter((entry) => entry.jobId === 'dead-1').length, 10);
  assert.match(String(final[0].msg), /dead-1 failed for good \(attempt 10\/10\): dead-lettered/);
  await queue.close();
});

test('the default backoff doubles, with jitter between half and all of it', () => {
  const policy = { attempts: 5, backoffDelayMs: 1000 };
  assert.equal(
    backoffDelay(policy, 1, () => 0),
    500,
  );
  assert.equal(
    backoffDelay(policy, 1, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(policy, 3, () => 0),
    2000,
  );
  assert.equal(
    backoffDelay(policy, 3, () => 1),
    4000,
  );
});
