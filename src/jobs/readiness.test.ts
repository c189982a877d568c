import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import {
  redisReachable,
  SKIP_REDIS,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '#test/helpers/redis.ts';
import { buildTestApp } from '#test/helpers/test-app.ts';

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

test('without REDIS_URL, /readyz checks only the database (tests run jobs eagerly)', async () => {
  const { app, close } = await buildTestApp();
  const response = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(response.statusCode, 200);
  assert.ok(!response.body.includes('redis'), response.body);
  await close();
});

await describe(
  '/readyz with REDIS_URL',
  (await redisReachable()) ? {} : { skip: SKIP_REDIS },
  () => {
    test('reports redis ok when Redis answers', async () => {
      const { prefix, cleanup } = uniqueQueuePrefix();
      const { app, close } = await buildTestApp({
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
      });
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 200, response.body);
      assert.match(response.body, /"redis":"ok"/);
      await close();
      await cleanup();
    });

    test('answers 503 with redis failing when Redis does not answer', async () => {
      const url = `redis://127.0.0.1:${await closedPort()}`;
      const { app, close, logs } = await buildTestApp({ REDIS_URL: url });
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 503, response.body);
      assert.match(response.body, /"redis":"failing"/);
      assert.ok(!logs.text.includes(url), 'the Redis URL (a secret) is not logged');
      await close();
    });
  },
);
