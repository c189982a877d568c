import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger } from '#src/lib/logger.ts';
import {
  redisReachable,
  SKIP_REDIS,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '#test/helpers/redis.ts';
import { until } from '#test/helpers/until.ts';
import { createEagerQueue } from './eager-queue.ts';
import { JOB_NAMES, type JobName } from './job-registry.ts';
import { registerSchedules, SCHEDULES, startInProcessSchedules } from './schedules.ts';
import { createJobDispatcher } from './worker-runner.ts';

const logger = createLogger({ level: 'silent', format: 'json' });

test('every schedule names a registered job', () => {
  assert.ok(SCHEDULES.length > 0);
  for (const schedule of SCHEDULES) assert.ok(JOB_NAMES.includes(schedule.job));
});

test('click retention runs hourly: the cutoffs move at midnight UTC, late clicks within the hour', () => {
  assert.deepEqual(
    SCHEDULES.filter((schedule) => schedule.job === 'purge-old-clicks'),
    [{ job: 'purge-old-clicks', everyMs: 3_600_000 }],
  );
});

test('in process: each schedule enqueues its job every period until stopped', async (t) => {
  const ran: JobName[] = [];
  const record = (name: JobName) => () => {
    ran.push(name);
    return Promise.resolve();
  };
  const jobs = createEagerQueue(
    createJobDispatcher(Object.fromEntries(JOB_NAMES.map((name) => [name, record(name)]))),
  );
  // Counted as the timer fires, before any job runs: what tick() can show at once.
  let enqueued = 0;
  const counted: typeof jobs = {
    ...jobs,
    enqueue: (...args) => {
      enqueued += 1;
      return jobs.enqueue(...args);
    },
  };
  t.mock.timers.enable({ apis: ['setInterval'] });
  const stop = startInProcessSchedules(counted, logger, [
    { job: 'purge-expired-auth', everyMs: 20 },
  ]);
  t.mock.timers.tick(19);
  assert.equal(enqueued, 0, 'nothing before the first period');
  t.mock.timers.tick(41);
  assert.equal(enqueued, 3, 'one run per period');
  await until(() => ran.length === 3, 'the three runs');
  assert.ok(ran.every((name) => name === 'purge-expired-auth'));
  stop();
  // A timer left running would fire inside tick(), fifty times.
  t.mock.timers.tick(1_000);
  assert.equal(enqueued, 3, 'no run after stop');
});

await describe('Redis schedules', (await redisReachable()) ? {} : { skip: SKIP_REDIS }, () => {
  test('registering twice (two workers starting) keeps one scheduler per job', async () => {
    const { prefix, cleanup } = uniqueQueuePrefix();
    const connection = new Redis(TEST_REDIS_URL);
    const queue = new Queue('default', { connection, prefix });
    try {
      await registerSchedules({ url: TEST_REDIS_URL, prefix }, logger);
      await registerSchedules({ url: TEST_REDIS_URL, prefix }, logger);
      const schedulers = await queue.getJobSchedulers();
      assert.deepEqual(
        schedulers
          .map((scheduler) => [scheduler.key, scheduler.name, Number(scheduler.every)])
          .sort(),
        [
          ['purge-expired-auth', 'purge-expired-auth', 3_600_000],
          ['purge-old-clicks', 'purge-old-clicks', 3_600_000],
        ],
      );
      // The first run is queued at once, as a job of the default queue.
      const waiting = await queue.getJobs(['delayed', 'waiting']);
      assert.deepEqual(waiting.map((job) => job.name).sort(), [
        'purge-expired-auth',
        'purge-old-clicks',
      ]);
    } finally {
      await queue.close();
      await connection.quit();
      await cleanup();
    }
  });
});
