import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createLogger } from '#src/lib/logger.ts';
import { LogCollector } from '#test/helpers/log-collector.ts';
import { backoffDelay, JOB_NAMES, type JobHandlers } from './job-registry.ts';
import { createMemoryQueue } from './memory-queue.ts';
import { PermanentJobError } from './queue.ts';
import { createJobDispatcher } from './worker-runner.ts';

/** A no-op handler for every registered job, with a test's own in place of some. */
function handlers(own: Partial<JobHandlers>): Partial<JobHandlers> {
  const noop = () => Promise.resolve();
  return { ...Object.fromEntries(JOB_NAMES.map((name) => [name, noop])), ...own };
}

function setup(resetHandler: (attempt: number) => Promise<void>) {
  const logs = new LogCollector();
  const attempts: { attempt: number; at: number }[] = [];
  const queue = createMemoryQueue({
    dispatch: createJobDispatcher(
      handlers({
        'send-password-reset-email': (_payload, { attempt }) => {
          attempts.push({ attempt, at: performance.now() });
          return resetHandler(attempt);
        },
      }),
    ),
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

test('the dashboard sees dead letters without their payload, and retries or removes them', async () => {
  let failing = true;
  const { attempts, queue } = setup(() =>
    failing ? Promise.reject(new PermanentJobError('550 mailbox unavailable')) : Promise.resolve(),
  );
  const userId = randomUUID();
  await queue.enqueue('send-password-reset-email', { userId }, { jobId: 'dead-a' });
  await queue.enqueue('send-password-reset-email', { userId }, { jobId: 'dead-b' });
  await queue.idle();

  const [email, ...others] = await queue.overview();
  assert.equal(email?.queue, 'email');
  assert.deepEqual(email.counts, { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 2 });
  assert.deepEqual(
    email.failed.map(({ id, name, attemptsMade, failedReason }) => ({
      id,
      name,
      attemptsMade,
      failedReason,
    })),
    ['dead-b', 'dead-a'].map((id) => ({
      id,
      name: 'send-password-reset-email',
      attemptsMade: 1,
      failedReason: '550 mailbox unavailable',
    })),
    'newest first, a permanent failure after one attempt',
  );
  assert.ok(email.failed.every((job) => job.failedAt instanceof Date));
  assert.ok(!JSON.stringify(email).includes(userId), 'never the payload');
  assert.deepEqual(
    others.map((overview) => [overview.queue, overview.counts.failed, overview.failed.length]),
    [
      ['clicks', 0, 0],
      ['default', 0, 0],
    ],
  );
  assert.equal((await queue.overview({ failedLimit: 1 }))[0]?.failed.length, 1);

  failing = false;
  assert.equal(await queue.retryFailed('email', 'dead-a'), true);
  await queue.idle();
  assert.deepEqual(
    attempts.map((a) => a.attempt),
    [1, 1, 1],
    'the retry starts a fresh round of attempts',
  );
  assert.equal(await queue.retryFailed('email', 'dead-a'), false, 'no longer failed');
  assert.equal(await queue.removeFailed('email', 'dead-b'), true);
  assert.equal(await queue.removeFailed('email', 'dead-b'), false);
  assert.equal(await queue.retryFailed('clicks', 'dead-b'), false);
  const [after] = await queue.overview();
  assert.deepEqual(after?.counts, { waiting: 0, active: 0, delayed: 0, completed: 1, failed: 0 });
  assert.equal(attempts.length, 3, 'the removed job never ran again');
  await queue.close();
});

test('the dashboard counts waiting, active and delayed jobs per queue', async () => {
  let release: () => void = () => undefined;
  const running = new Promise<void>((resolve) => {
    release = resolve;
  });
  const queue = createMemoryQueue({
    dispatch: createJobDispatcher(handlers({ 'send-welcome-email': () => running })),
    logger: createLogger({ level: 'info', format: 'json', destination: new LogCollector() }),
    concurrency: 1,
  });
  await queue.enqueue('send-welcome-email', { userId: randomUUID() });
  await queue.enqueue('send-welcome-email', { userId: randomUUID() });
  await queue.enqueue('send-welcome-email', { userId: randomUUID() }, { delayMs: 60_000 });
  const [email] = await queue.overview();
  assert.deepEqual(email?.counts, { waiting: 1, active: 1, delayed: 1, completed: 0, failed: 0 });
  release();
  await queue.close();
  const [closed] = await queue.overview();
  assert.deepEqual(closed?.counts, { waiting: 0, active: 0, delayed: 0, completed: 1, failed: 0 });
});
