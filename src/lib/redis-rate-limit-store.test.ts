import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import {
  redisReachable,
  SKIP_REDIS,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '#test/helpers/redis.ts';
import { RateLimitUnavailableError } from './rate-limiter.ts';
import { createRedisRateLimitStore, type RedisRateLimitStore } from './redis-rate-limit-store.ts';

const up = await redisReachable();

await describe('createRedisRateLimitStore', up ? {} : { skip: SKIP_REDIS }, () => {
  const keys = uniqueQueuePrefix();
  const stores: RedisRateLimitStore[] = [];
  /** One store is one process's connection; two of them stand for two processes. */
  const open = () => {
    const store = createRedisRateLimitStore({ url: TEST_REDIS_URL, prefix: keys.prefix });
    stores.push(store);
    return store;
  };
  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await keys.cleanup();
  });

  test('counts per key past the limit, with the window end as Retry-After', async () => {
    const store = open();
    const decisions = [];
    for (let i = 0; i < 4; i += 1) decisions.push(await store.consume('a', 3, 60_000));
    assert.deepEqual(
      decisions.map((decision) => [decision.allowed, decision.remaining]),
      [
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ],
    );
    const wait = decisions[3]?.retryAfterMs ?? 0;
    assert.ok(wait > 50_000 && wait <= 60_000, String(wait));
    assert.equal((await store.consume('b', 3, 60_000)).allowed, true, 'another key is apart');
  });

  test('two connections hitting one key in parallel share one budget', async () => {
    const [first, second] = [open(), open()];
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? first : second).consume('p', 5, 60_000)),
    );
    assert.equal(decisions.filter((decision) => decision.allowed).length, 5);
  });

  test('refund gives one hit back (never below zero); reset forgets the key', async () => {
    const store = open();
    await store.consume('r', 1, 60_000);
    await store.refund('r');
    await store.refund('r');
    assert.equal((await store.consume('r', 1, 60_000)).allowed, true);
    assert.equal((await store.consume('r', 1, 60_000)).allowed, false);
    await store.reset('r');
    assert.equal((await store.consume('r', 1, 60_000)).allowed, true);
  });

  test('keys live under the prefix and expire with their window', async () => {
    const store = open();
    await store.consume('ttl', 5, 1_500);
    const { Redis } = await import('ioredis');
    const client = new Redis(TEST_REDIS_URL);
    try {
      const ttl = await client.pttl(`${keys.prefix}:rate:ttl`);
      assert.ok(ttl > 0 && ttl <= 1_500, String(ttl));
    } finally {
      client.disconnect();
    }
  });
});

test('a Redis that does not answer: every call rejects with a 503, promptly', async () => {
  // A port that accepts connections and never speaks: the worst case, a hung Redis.
  const silent = createServer(() => undefined).listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const address = silent.address();
  assert.ok(address && typeof address === 'object');
  const store = createRedisRateLimitStore({
    url: `redis://127.0.0.1:${String(address.port)}`,
    prefix: 'nowhere',
    commandTimeoutMs: 300,
  });
  try {
    for (const call of [
      () => store.consume('a', 1, 1_000),
      () => store.refund('a'),
      () => store.reset('a'),
    ]) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof RateLimitUnavailableError);
        assert.equal(error.statusCode, 503);
        return true;
      });
    }
  } finally {
    await store.close();
    silent.close();
  }
});
