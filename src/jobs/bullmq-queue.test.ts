import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger } from '#src/lib/logger.ts';
import {
  redisReachable,
  SKIP_REDIS,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '#test/helpers/redis.ts';
import { LogCollector } from '#test/helpers/log-collector.ts';
import { until } from '#test/helpers/until.ts';
import { createBullmqQueue } from './bullmq-queue.ts';
import { JOB_NAMES, type JobHandlers } from './job-registry.ts';
import { PermanentJobError } from './queue.ts';
import { createJobDispatcher, startWorkers } from './worker-runner.ts';

const reachable = await redisReachable();

await describe('BullMQ queue and worker on Redis', reachable ? {} : { skip: SKIP_REDIS }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** A producer, a worker on the email queue and the logs, under a prefix of their own. */
  async function setup(handlers: Partial<JobHandlers>) {
    const { prefix, cleanup } = uniqueQueuePrefix();
    const logs = new LogCollector();
    const logger = createLogger({ level: 'info', format: 'json', destination: logs });
    const queue = createBullmqQueue({ url: TEST_REDIS_URL, prefix, backoffDelayMs: 20 });
    const workers = await startWorkers({
      url: TEST_REDIS_URL,
      prefix,
      queues: ['email'],
      concurrency: 2,
      dispatch: createJobDispatcher({
        ...Object.fromEntries(JOB_NAMES.map((name) => [name, () => Promise.resolve()])),
        ...handlers,
      }),
      logger,
    });
    const connection = new Redis(TEST_REDIS_URL);
    const inspector = new Queue('email', { connection, prefix });
    cleanups.push(async () => {
      await workers.close(5_000);
      await queue.close();
      await inspector.close();
      await connection.quit();
      await cleanup();
    });
    return { queue, workers, logs, inspector };
  }

  test('a job failing twice is retried with backoff and completes on the third attempt', async () => {
    const userId = randomUUID();
    let calls = 0;
    const { queue, logs, inspector } = await setup({
      'send-password-reset-email': () => {
        calls += 1;
        return calls < 3 ? Promise.reject(new Error('451 try later')) : Promise.resolve();
      },
    });
    await queue.ping();
    await queue.enqueue('send-password-reset-email', { userId }, { jobId: 'retry-1' });
    await until(
      async () => (await inspector.getJobCounts('completed')).completed === 1,
      'completion',
    );
    assert.equal(calls, 3);
    const failures = logs.entries().filter((entry) => entry.jobId === 'retry-1');
    assert.deepEqual(
      failures.map((entry) => [entry.attempt, entry.level, entry.deadLettered ?? false]),
      [
        [1, 'warn', false],
        [2, 'warn', false],
      ],
    );
    assert.ok(!logs.text.includes(userId), 'the payload never reaches the log');
  });

  test('a job that always fails ends in the failed set after its last attempt', async () => {
    const { queue, logs, inspector } = await setup({
      'send-welcome-email': () => Promise.reject(new Error('550 mailbox unavailable')),
    });
    await queue.enqueue('send-welcome-email', { userId: randomUUID() }, { jobId: 'dead-1' });
    await until(
      async () => (await inspector.getJobCounts('failed')).failed === 1,
      'dead letter',
      60_000,
    );
    const [dead] = await inspector.getFailed();
    assert.equal(dead?.id, 'dead-1');
    assert.equal(dead.attemptsMade, 10);
    const lines = logs.entries().filter((entry) => entry.jobId === 'dead-1');
    assert.equal(lines.length, 10, 'one line per failed attempt');
    assert.equal(lines.filter((entry) => entry.deadLettered === true).length, 1);
    assert.match(logs.text, /dead-1 failed for good \(attempt 10\/10\): dead-lettered/);
  });

  test('closing the worker lets an in-flight job finish', async () => {
    let finished = false;
    const { queue, workers, inspector } = await setup({
      'send-password-reset-email': async () => {
        await sleep(500);
        finished = true;
      },
    });
    await queue.enqueue('send-password-reset-email', { userId: randomUUID() });
    await until(
      async () => (await inspector.getJobCounts('active')).active === 1,
      'the job to start',
    );
    assert.equal(await workers.close(10_000), true);
    assert.equal(finished, true);
    assert.equal((await inspector.getJobCounts('completed')).completed, 1);
  });
  test('the dashboard port: counts, failed jobs without payload, retry and remove', async () => {
    const userId = randomUUID();
    let failing = true;
    let runs = 0;
    const { queue, inspector } = await setup({
      'send-welcome-email': () => {
        runs += 1;
        return failing
          ? Promise.reject(new PermanentJobError('550 mailbox unavailable'))
          : Promise.resolve();
      },
    });
    const failedCount = async () => (await inspector.getJobCounts('failed')).failed;
    await queue.enqueue('send-welcome-email', { userId }, { jobId: 'dead-a' });
    await until(async () => (await failedCount()) === 1, 'the first dead letter');
    await queue.enqueue('send-welcome-email', { userId }, { jobId: 'dead-b' });
    await until(async () => (await failedCount()) === 2, 'the second dead letter');

    const overview = await queue.overview();
    assert.deepEqual(
      overview.map((entry) => entry.queue),
      ['email', 'clicks', 'default'],
    );
    const [email, clicks, other] = overview;
    assert.deepEqual(email?.counts, { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 2 });
    assert.deepEqual(
      email.failed.map(({ id, name, attemptsMade, failedReason }) => ({
        id,
        name,
        attemptsMade,
        failedReason,
      })),
      ['dead-b', 'dead-a'].map((id) => ({
        id,
        name: 'send-welcome-email',
        attemptsMade: 1,
        failedReason: '550 mailbox unavailable',
      })),
      'newest first',
    );
    for (const job of email.failed) {
      assert.ok(Math.abs(job.failedAt.getTime() - Date.now()) < 60_000, 'failed just now');
    }
    assert.ok(!JSON.stringify(overview).includes(userId), 'never the payload');
    assert.deepEqual(clicks?.counts, {
      waiting: 0,
      active: 0,
      delayed: 0,
      completed: 0,
      failed: 0,
    });
    assert.deepEqual(other?.failed, []);
    assert.deepEqual(
      (await queue.overview({ failedLimit: 1 }))[0]?.failed.map((job) => job.id),
      ['dead-b'],
    );

    failing = false;
    assert.equal(await queue.retryFailed('email', 'dead-a'), true);
    await until(
      async () => (await inspector.getJobCounts('completed')).completed === 1,
      'the retried job to complete',
    );
    const retried = await inspector.getJob('dead-a');
    assert.equal(retried?.attemptsMade, 1, 'the retry started a fresh round of attempts');
    assert.equal(await queue.retryFailed('email', 'dead-a'), false, 'no longer failed');

    assert.equal(await queue.removeFailed('email', 'dead-b'), true);
    assert.equal(await inspector.getJob('dead-b'), undefined);
    assert.equal(await queue.removeFailed('email', 'dead-b'), false);
    assert.equal(await queue.retryFailed('email', 'no-such-job'), false);
    assert.equal(await queue.retryFailed('default', 'dead-a'), false, 'another queue');
    const [after] = await queue.overview();
    assert.deepEqual(after?.counts, { waiting: 0, active: 0, delayed: 0, completed: 1, failed: 0 });
    assert.equal(runs, 3, 'the removed job never ran again');
  });

  test('the dashboard counts waiting and delayed jobs when no worker takes them', async () => {
    const { prefix, cleanup } = uniqueQueuePrefix();
    const queue = createBullmqQueue({ url: TEST_REDIS_URL, prefix });
    cleanups.push(async () => {
      await queue.close();
      await cleanup();
    });
    await queue.enqueue('send-welcome-email', { userId: randomUUID() });
    await queue.enqueue('send-password-reset-email', { userId: randomUUID() });
    await queue.enqueue('send-welcome-email', { userId: randomUUID() }, { delayMs: 60_000 });
    const [email] = await queue.overview();
    assert.deepEqual(email?.counts, { waiting: 2, active: 0, delayed: 1, completed: 0, failed: 0 });
  });
});
