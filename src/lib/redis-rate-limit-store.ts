import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';
import {
  RateLimitUnavailableError,
  type RateLimitDecision,
  type RateLimitStore,
} from './rate-limiter.ts';

// Count, then read the window's end, in one script: Redis runs it atomically, so two processes
// hitting one key at once get consecutive counts. A key without a TTL (none should exist) is
// given one rather than living forever.
const CONSUME = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

const REFUND = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0
`;

interface RateCommands {
  hoplinkRateConsume(key: string, windowMs: number): Promise<[number, number]>;
  hoplinkRateRefund(key: string): Promise<number>;
}

export interface RedisRateLimitStoreOptions {
  /** REDIS_URL (revealed only here, never logged). */
  readonly url: string;
  /** Keys are `<prefix>:rate:<key>` (QUEUE_PREFIX: one namespace per deployment). */
  readonly prefix: string;
  /** Longest wait for an answer before the hit is refused (fail closed), in milliseconds. */
  readonly commandTimeoutMs?: number;
  readonly logger?: Pick<Logger, 'warn' | 'info'>;
}

export interface RedisRateLimitStore extends RateLimitStore {
  readonly close: () => Promise<void>;
}

/**
 * The store every process of a deployment shares. It connects on first use (a worker or a CLI
 * command that never counts opens nothing) and answers within `commandTimeoutMs` even when Redis
 * is gone: a login must get its 503 quickly rather than hang.
 */
export function createRedisRateLimitStore(
  options: RedisRateLimitStoreOptions,
): RedisRateLimitStore {
  const redis = new Redis(options.url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    maxRetriesPerRequest: 1,
  });
  redis.defineCommand('hoplinkRateConsume', { numberOfKeys: 1, lua: CONSUME });
  redis.defineCommand('hoplinkRateRefund', { numberOfKeys: 1, lua: REFUND });
  const commands = redis as unknown as RateCommands;
  // ioredis reconnects by itself; say so once per outage rather than once per retry.
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    options.logger?.warn({ error: error.message }, 'rate limit store unreachable; reconnecting');
  });
  redis.on('ready', () => {
    if (down) options.logger?.info('rate limit store reachable again');
    down = false;
  });
  const keyOf = (key: string) => `${options.prefix}:rate:${key}`;
  async function guarded<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new RateLimitUnavailableError(error);
    }
  }

  return {
    consume(key, limit, windowMs): Promise<RateLimitDecision> {
      return guarded(async () => {
        const [count, ttl] = await commands.hoplinkRateConsume(keyOf(key), windowMs);
        return {
          allowed: count <= limit,
          remaining: Math.max(0, limit - count),
          retryAfterMs: Math.max(0, ttl),
        };
      });
    },
    refund(key) {
      return guarded(async () => {
        await commands.hoplinkRateRefund(keyOf(key));
      });
    },
    reset(key) {
      return guarded(async () => {
        await redis.del(keyOf(key));
      });
    },
    async close() {
      // Only a live connection is worth a polite QUIT; waiting on a dead one would delay shutdown.
      if (redis.status !== 'ready') {
        redis.disconnect();
        return;
      }
      await redis.quit().catch(() => {
        redis.disconnect();
      });
    },
  };
}
