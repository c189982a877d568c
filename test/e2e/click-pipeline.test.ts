import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { clicks } from '#src/db/schema.ts';
import { createBullmqQueue } from '#src/jobs/bullmq-queue.ts';
import type { JobQueue } from '#src/jobs/queue.ts';
import type { RawClick } from '#src/modules/analytics/index.ts';
import { createStatsRepository } from '#src/modules/analytics/stats.repository.ts';
import { createLink, type LinkFixture } from '#test/factories.ts';
import {
  createTestDatabase,
  postgresReachable,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { httpLoad } from '#test/helpers/http-load.ts';
import { PrivateRedis, redisServerInstalled } from '#test/helpers/redis-server.ts';
import { redisReachable } from '#test/helpers/redis.ts';
import { productionEnv, startServer, type ServeProcess } from '#test/helpers/spawn-server.ts';
import { until } from '#test/helpers/until.ts';
import { startWorker, type WorkerProcess } from '#test/helpers/worker-process.ts';

const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const USER_AGENTS = [BROWSER, 'curl/8.5.0'];

const ready = (await postgresReachable()) && (await redisReachable()) && redisServerInstalled();

/**
 * The click pipeline's promises, tested on real processes: `serve` and `worker` in production
 * against PostgreSQL and a Redis of the suite's own, which it stops and starts again.
 */
await describe(
  'click pipeline under faults (serve + worker, PostgreSQL, Redis)',
  ready ? {} : { skip: 'needs PostgreSQL, Redis and the redis-server program (see .ci/run)' },
  () => {
    let database: TestDatabase;
    let redis: PrivateRedis;
    let env: Record<string, string>;
    let serve: ServeProcess;
    let worker: WorkerProcess;
    let dataDir: string;
    const spooled = () => {
      try {
        return readdirSync(join(dataDir, 'click-spool'));
      } catch {
        return [];
      }
    };

    const recorded = async (link: LinkFixture) => {
      const [row] = await database.handle.db
        .select({ count: sql<number>`count(*)`.mapWith(Number) })
        .from(clicks)
        .where(eq(clicks.linkId, link.id));
      return row?.count ?? 0;
    };
    /** What the stats page counts (humans + bots), to catch a click counted twice anywhere. */
    const counted = async (link: LinkFixture) => {
      const totals = await createStatsRepository(database.handle.db).totals(link.id, new Date(0));
      return totals.clicks + totals.bots;
    };
    const startClickWorker = () => startWorker(env, ['clicks'], 4);

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'hoplink-clicks-'));
      database = await createTestDatabase('postgres');
      redis = await PrivateRedis.start();
      env = {
        ...productionEnv(database.url ?? ''),
        REDIS_URL: redis.url,
        // Kept across serve restarts: the click spool lives here.
        DATA_DIR: dataDir,
        QUEUE_PREFIX: `hoplink-clicks-${randomUUID().slice(0, 8)}`,
        LOG_FORMAT: 'json',
        CLICK_FLUSH_INTERVAL: '200ms',
        CLICK_BATCH_SIZE: '200',
        SERVER_SHUTDOWN_TIMEOUT: '20s',
      };
      serve = await startServer({ env });
      worker = await startClickWorker();
    });

    after(async () => {
      serve.kill();
      worker.child.kill('SIGKILL');
      await redis.destroy();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('20,000 redirects with Redis stopped for part of them: all answered, all recorded', async () => {
      const link = await createLink(database.handle.db);
      let stopping: Promise<void> | undefined;
      let starting: Promise<void> | undefined;
      const result = await httpLoad({
        url: `${serve.url}/${link.code}`,
        total: 20_000,
        userAgents: USER_AGENTS,
        onResponse: (answered) => {
          if (answered === 4_000) stopping = redis.stop();
          if (answered === 12_000) starting = stopping?.then(() => redis.start());
        },
      });
      await starting;
      assert.deepEqual([...result.statuses], [[302, 20_000]], serve.output());
      assert.equal(result.failed + result.resetBeforeAccepted + result.refused, 0);
      assert.match(serve.stdout, /clicks queue unreachable: spooling click batches/);
      await until(async () => (await recorded(link)) === 20_000, 'every click recorded', 120_000);
      assert.equal(await counted(link), 20_000);
      await until(
        () => serve.stdout.includes('clicks queue reachable again'),
        'the replay line',
        10_000,
      );
    });

    test('serve stopped during a Redis outage: the next serve sends what it spooled', async () => {
      const link = await createLink(database.handle.db);
      await redis.stop();
      const result = await httpLoad({
        url: `${serve.url}/${link.code}`,
        total: 3_000,
        userAgents: USER_AGENTS,
      });
      assert.deepEqual([...result.statuses], [[302, 3_000]]);
      assert.deepEqual(await serve.stop('SIGTERM'), { code: 0, signal: null }, serve.output());
      assert.ok(spooled().length > 0, 'the stopped server left its spool');
      assert.equal(await recorded(link), 0);
      await redis.start();
      serve = await startServer({ env });
      await until(async () => (await recorded(link)) === 3_000, 'the spooled clicks recorded');
      assert.equal(await counted(link), 3_000);
      await until(() => spooled().length === 0, 'the spool emptied');
    });

    test('the worker SIGKILLed mid-batch and restarted: no click lost, none counted twice', async () => {
      const link = await createLink(database.handle.db);
      const producer: JobQueue = createBullmqQueue({
        url: redis.url,
        prefix: env.QUEUE_PREFIX ?? '',
      });
      const batches = 40;
      const perBatch = 500;
      try {
        for (let batch = 0; batch < batches; batch += 1) {
          const raw: RawClick[] = Array.from({ length: perBatch }, (_, index) => ({
            eventId: randomUUID(),
            linkId: link.id,
            clickedAt: Date.now(),
            referrer: index % 2 ? 'https://news.example.org/item' : null,
            userAgent: USER_AGENTS[index % 2] ?? null,
            ip: '203.0.113.7',
          }));
          await producer.enqueue('record-clicks', { clicks: raw }, { jobId: randomUUID() });
        }
      } finally {
        await producer.close();
      }
      await until(async () => (await recorded(link)) > 0, 'the first batch written');
      worker.child.kill('SIGKILL');
      await worker.exited;
      const atKill = await recorded(link);
      assert.ok(atKill < batches * perBatch, 'killed before the end');
      worker = await startClickWorker();
      // Jobs the dead worker held come back once their lock expires (stalled-job recovery).
      await until(
        async () => (await recorded(link)) === batches * perBatch,
        `all ${String(batches * perBatch)} clicks recorded\n${worker.show()}`,
        120_000,
      );
      assert.equal(await counted(link), batches * perBatch);
    });

    test('SIGTERM to serve and worker under load: no failed request, no lost click', async () => {
      const link = await createLink(database.handle.db);
      let served = 0;
      let workerStopped: Promise<number | null> | undefined;
      let serveStopped: Promise<unknown> | undefined;
      const result = await httpLoad({
        url: `${serve.url}/${link.code}`,
        total: 100_000,
        userAgents: USER_AGENTS,
        stopOnRefused: true,
        onResponse: (answered) => {
          served = answered;
          if (answered === 2_000) {
            worker.child.kill('SIGTERM');
            workerStopped = worker.exited;
          }
          if (answered === 5_000) serveStopped = serve.stop('SIGTERM');
        },
      });
      assert.equal(await workerStopped, 0, worker.show());
      assert.deepEqual(await serveStopped, { code: 0, signal: null }, serve.output());
      // Refused connections are fine (the server had stopped listening); a request sent and
      // never answered is not, be it on a kept-alive or on a fresh connection.
      assert.deepEqual(
        { failed: result.failed, resetBeforeAccepted: result.resetBeforeAccepted },
        { failed: 0, resetBeforeAccepted: 0 },
        `requests sent and never answered: ${JSON.stringify([...result.failures])}`,
      );
      assert.deepEqual([...result.statuses], [[302, served]]);
      assert.ok(served >= 5_000);
      worker = await startClickWorker();
      await until(
        async () => (await recorded(link)) === served,
        `${String(served)} clicks recorded`,
        60_000,
      );
      assert.equal(await counted(link), served);
      assert.match(worker.stdout, /worker processing clicks/);
    });
  },
);
