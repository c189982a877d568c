import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createBullmqQueue } from '#src/jobs/bullmq-queue.ts';
import type { JobQueue } from '#src/jobs/queue.ts';
import { createUser } from '#test/factories.ts';
import { runHoplink, showRun } from '#test/helpers/cli.ts';
import { startSmtpServer } from '#test/helpers/smtp-server.ts';
import {
  createTestDatabase,
  postgresReachable,
  type TestDatabase,
} from '#test/helpers/database.ts';
import {
  redisReachable,
  SKIP_REDIS,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '#test/helpers/redis.ts';
import { until } from '#test/helpers/until.ts';
import { startWorker, type WorkerProcess } from '#test/helpers/worker-process.ts';

const ready = (await redisReachable()) && (await postgresReachable());

await describe(
  'hoplink worker (spawned) sending email through SMTP',
  ready ? {} : { skip: `${SKIP_REDIS} (PostgreSQL is needed too)` },
  () => {
    let database: TestDatabase;
    let smtp: ReturnType<typeof startSmtpServer>;
    let worker: WorkerProcess;
    let producer: JobQueue;
    let inspector: Queue;
    let connection: Redis;
    const { prefix, cleanup } = uniqueQueuePrefix();
    // The worker's own temporary directory, where its heartbeat file lives.
    const workerTmp = mkdtempSync(join(tmpdir(), 'hoplink-worker-tmp-'));

    before(async () => {
      database = await createTestDatabase('postgres');
      smtp = startSmtpServer();
      const port = await smtp.listen();
      worker = await startWorker(
        {
          NODE_ENV: 'test',
          LOG_FORMAT: 'json',
          LOG_LEVEL: 'info',
          DATABASE_URL: database.url ?? '',
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: prefix,
          EMAIL_URL: `smtp://127.0.0.1:${port}`,
          SITE_URL: 'https://hop.example.com',
          SERVER_SHUTDOWN_TIMEOUT: '20s',
          TMPDIR: workerTmp,
        },
        ['email'],
      );
      // Short backoff (the registry's, in tens of milliseconds) so ten attempts fit in a test.
      producer = createBullmqQueue({ url: TEST_REDIS_URL, prefix, backoffDelayMs: 10 });
      connection = new Redis(TEST_REDIS_URL);
      inspector = new Queue('email', { connection, prefix });
    });

    after(async () => {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      await producer.close();
      await inspector.close();
      await connection.quit();
      await smtp.close();
      await database.drop();
      await cleanup();
      rmSync(workerTmp, { recursive: true, force: true });
    });

    async function state(jobId: string): Promise<string> {
      return await inspector.getJobState(jobId);
    }

    test('a reset email refused twice by the server arrives on the third attempt', async () => {
      const user = await createUser(database.handle.db, {
        email: `flaky-${randomUUID()}@example.com`,
      });
      await producer.enqueue('send-password-reset-email', { userId: user.id }, { jobId: 'flaky' });
      await until(() => smtp.delivered.some((mail) => mail.to === user.email), 'delivery', 60_000);
      assert.equal(smtp.attempts.get(user.email), 3);
      const mail = smtp.delivered.find((item) => item.to === user.email);
      assert.match(
        mail?.body ?? '',
        /https:\/\/hop\.example\.com\/accounts\/reset\/[A-Za-z0-9_-]{43}/,
      );
      await until(async () => (await state('flaky')) === 'completed', 'completion');
      const failures = worker.lines().filter((line) => line.jobId === 'flaky');
      assert.deepEqual(
        failures.map((line) => line.attempt),
        [1, 2],
        worker.show(),
      );
      assert.ok(!worker.stdout.includes(user.id), 'the payload (user id) is never logged');
    });

    test('a server that always refuses dead-letters the job; the worker keeps running', async () => {
      const user = await createUser(database.handle.db, {
        email: `broken-${randomUUID()}@example.com`,
      });
      await producer.enqueue('send-welcome-email', { userId: user.id }, { jobId: 'broken' });
      await until(async () => (await state('broken')) === 'failed', 'the dead letter', 90_000);
      const lines = worker.lines().filter((line) => line.jobId === 'broken');
      assert.equal(lines.length, 10, worker.show());
      assert.equal(lines.filter((line) => line.deadLettered === true).length, 1);
      assert.equal(worker.child.exitCode, null, 'the worker is still running');
      // And it still delivers: an unknown user's reset job completes without error.
      await producer.enqueue(
        'send-password-reset-email',
        { userId: randomUUID() },
        { jobId: 'ghost' },
      );
      await until(async () => (await state('ghost')) === 'completed', 'the unknown-user job');
      assert.equal(worker.lines().filter((line) => line.jobId === 'ghost').length, 0);
    });

    test('SIGTERM mid-job: the job completes and the worker exits 0', async () => {
      const user = await createUser(database.handle.db, {
        email: `slow-${randomUUID()}@example.com`,
      });
      await producer.enqueue('send-password-reset-email', { userId: user.id }, { jobId: 'slow' });
      await until(() => smtp.started.includes(user.email), 'the job to reach the SMTP server');
      const probe = () => runHoplink(['healthcheck', '--worker'], { env: { TMPDIR: workerTmp } });
      const alive = await probe();
      assert.equal(alive.code, 0, showRun(alive));
      worker.child.kill('SIGTERM');
      const code = await worker.exited;
      assert.equal(code, 0, worker.show());
      const gone = await probe();
      assert.equal(gone.code, 1, showRun(gone));
      assert.match(gone.stderr, /worker unhealthy: no heartbeat file/);
      assert.ok(
        smtp.delivered.some((mail) => mail.to === user.email),
        'the in-flight email was sent',
      );
      assert.equal(await state('slow'), 'completed');
      assert.match(worker.stdout, /worker stopped/);
    });
  },
);
