import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the queue suites use; CI starts it. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const SKIP_REDIS = `Redis is not reachable at ${new URL(TEST_REDIS_URL).host}: start it to run the queue suites`;

let reachable: Promise<boolean> | undefined;

/** Whether a Redis answers at `url` now: one attempt, no retries. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Whether the shared test Redis answers; asked once per test process. */
export function redisReachable(): Promise<boolean> {
  // scripts/test.mjs asked once for the whole run; its header line says the same.
  const verdict = process.env.HOPLINK_TEST_REDIS;
  if (verdict === '1' || verdict === '0') return Promise.resolve(verdict === '1');
  reachable ??= redisAnswers(TEST_REDIS_URL);
  return reachable;
}

/** A queue prefix no other test uses, and a way to delete its keys afterwards. */
export function uniqueQueuePrefix(): { prefix: string; cleanup: () => Promise<void> } {
  const prefix = `hoplink-test-${randomBytes(6).toString('hex')}`;
  return {
    prefix,
    async cleanup() {
      const client = new Redis(TEST_REDIS_URL);
      try {
        const keys = await client.keys(`${prefix}:*`);
        if (keys.length > 0) await client.del(...keys);
      } finally {
        client.disconnect();
      }
    },
  };
}
