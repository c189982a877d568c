import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  redisReachable,
  SKIP_REDIS,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '#test/helpers/redis.ts';
import { PrivateRedis, redisServerInstalled } from '#test/helpers/redis-server.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';
import { until } from '#test/helpers/until.ts';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

/** A "Redis" that accepts connections and never answers: a hung server, or a black hole. */
async function silentServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${String(port)}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

const readyz = (t: TestApp) => t.app.inject({ method: 'GET', url: '/readyz' });

/** The log lines /readyz wrote about `dependency`. */
const readinessLines = (t: TestApp, dependency: string) =>
  t.logs
    .entries()
    .filter(
      (entry) => entry.dependency === dependency && String(entry.msg).startsWith('readiness'),
    );

test('without REDIS_URL, /readyz checks only the database (tests run jobs eagerly)', async () => {
  const t = await buildTestApp();
  const response = await readyz(t);
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { status: 'ok', checks: { database: 'ok' } });
  await t.close();
});

void describe(
  '/readyz with REDIS_URL',
  (await redisReachable()) ? {} : { skip: SKIP_REDIS },
  () => {
    test('reports redis ok when Redis answers', async () => {
      const { prefix, cleanup } = uniqueQueuePrefix();
      const t = await buildTestApp({ REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix });
      const response = await readyz(t);
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json(), { status: 'ok', checks: { database: 'ok', redis: 'ok' } });
      await t.close();
      await cleanup();
    });

    test('stays ready (200, degraded) when Redis refuses connections', async () => {
      const url = `redis://127.0.0.1:${await closedPort()}`;
      const t = await buildTestApp({ REDIS_URL: url });
      const response = await readyz(t);
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json(), {
        status: 'degraded',
        checks: { database: 'ok', redis: 'failing' },
      });
      assert.ok(!t.logs.text.includes(url), 'the Redis URL (a secret) is not logged');
      await t.close();
    });

    test('stays ready (200, degraded) when Redis accepts but never answers', async () => {
      const silent = await silentServer();
      const t = await buildTestApp({ REDIS_URL: silent.url });
      try {
        // Without a bound of its own the probe would wait on Redis, and a load balancer's probe
        // would time out: the instance taken out after all.
        const response = await readyz(t);
        assert.equal(response.statusCode, 200, response.body);
        assert.deepEqual(response.json(), {
          status: 'degraded',
          checks: { database: 'ok', redis: 'failing' },
        });
      } finally {
        // Closing waits on Redis too: let it refuse first.
        await silent.close();
        await t.close();
      }
    });
  },
);

void describe(
  '/readyz through a Redis outage',
  redisServerInstalled() ? {} : { skip: 'redis-server is not installed' },
  () => {
    let redis: PrivateRedis;
    let t: TestApp;
    before(async () => {
      redis = await PrivateRedis.start();
      t = await buildTestApp({ REDIS_URL: redis.url });
    });
    after(async () => {
      await t.close();
      await redis.destroy();
    });

    test('goes ok → degraded → ok, logging each change once', async () => {
      assert.equal((await readyz(t)).json<{ status: string }>().status, 'ok');

      await redis.stop();
      // Probes come every few seconds, several at once from several load balancers.
      const during = [
        ...(await Promise.all([readyz(t), readyz(t)])),
        await readyz(t),
        await readyz(t),
      ];
      for (const response of during) {
        assert.equal(response.statusCode, 200, response.body);
        assert.deepEqual(response.json(), {
          status: 'degraded',
          checks: { database: 'ok', redis: 'failing' },
        });
      }
      const [down, ...more] = readinessLines(t, 'redis');
      assert.ok(down && more.length === 0, t.logs.text);
      assert.equal(down.level, 'warn');
      assert.equal(down.readiness, 'degraded');

      await redis.start();
      // ioredis reconnects on its own schedule (backoff up to 2 s).
      await until(
        async () => (await readyz(t)).json<{ status: string }>().status === 'ok',
        '/readyz ok again',
        15_000,
      );
      const back = await readyz(t);
      assert.equal(back.statusCode, 200);
      assert.deepEqual(back.json(), { status: 'ok', checks: { database: 'ok', redis: 'ok' } });
      const lines = readinessLines(t, 'redis');
      assert.equal(lines.length, 2, t.logs.text);
      assert.equal(lines[1]?.msg, 'readiness: redis answers again');
    });
  },
);
