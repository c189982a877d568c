import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createTestDatabase,
  postgresReachable,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { PrivateRedis, redisServerInstalled } from '#test/helpers/redis-server.ts';
import { productionEnv } from '#test/helpers/spawn-server.ts';
import { until } from '#test/helpers/until.ts';
import { startWorker } from '#test/helpers/worker-process.ts';

const ready = (await postgresReachable()) && redisServerInstalled();

await describe(
  'hoplink worker while Redis is down',
  ready ? {} : { skip: 'needs PostgreSQL and the redis-server program (see .ci/run)' },
  () => {
    let database: TestDatabase;
    let redis: PrivateRedis;
    before(async () => {
      database = await createTestDatabase('postgres');
      redis = await PrivateRedis.start();
    });
    after(async () => {
      await redis.destroy();
      await database.drop();
    });

    test('SIGTERM ends it with exit 0, and the outage is a few lines, not one per retry', async () => {
      const worker = await startWorker(
        {
          ...productionEnv(database.url ?? ''),
          REDIS_URL: redis.url,
          QUEUE_PREFIX: `hoplink-outage-${randomUUID().slice(0, 8)}`,
          LOG_FORMAT: 'json',
          SERVER_SHUTDOWN_TIMEOUT: '5s',
        },
        ['email', 'clicks', 'default'],
      );
      try {
        await redis.stop();
        await until(
          () => /Redis unreachable|cannot use Redis/.test(worker.stdout),
          `the worker to notice\n${worker.show()}`,
          30_000,
        );
        // Some seconds of retrying: every queue's connections try again about once a second.
        await sleep(5_000);
        const outageLines = worker.lines().filter((line) => /redis/i.test(String(line.msg)));
        assert.ok(
          outageLines.length <= 12,
          `${outageLines.length} lines about Redis in 5 s of outage\n${worker.show()}`,
        );

        worker.child.kill('SIGTERM');
        const code = await Promise.race([worker.exited, sleep(30_000, 'still running')]);
        assert.equal(code, 0, worker.show());
        assert.match(worker.stdout, /worker stopp/);
      } finally {
        if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      }
    });
  },
);
