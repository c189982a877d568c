import { LRUCache } from 'lru-cache';
import { ServiceUnavailableError } from './errors.ts';

/** What one counted hit learned about its key's window. */
export interface RateLimitDecision {
  /** Whether this hit was within the limit (the caller may go on). */
  readonly allowed: boolean;
  /** Hits still allowed in this window after this one. */
  readonly remaining: number;
  /** Until the window ends and the key's budget is whole again (a 429's Retry-After). */
  readonly retryAfterMs: number;
}

/**
 * Fixed-window counters shared by whoever holds the store: in this process's memory, or in
 * Redis so that every process and machine counts together. `consume` counts first and compares
 * after, in one atomic step, so concurrent hits can never all see the same "one left".
 */
export interface RateLimitStore {
  /**
   * Counts one hit for `key` and says whether it was within `limit`; a key's window of `windowMs`
   * starts with its first hit. Rejects with RateLimitUnavailableError when the store is out of
   * reach: callers fail closed.
   */
  consume(key: string, limit: number, windowMs: number): Promise<RateLimitDecision>;
  /** Gives back one hit (never below zero), e.g. an attempt that turned out legitimate. */
  refund(key: string): Promise<void>;
  /** Forgets `key` (e.g. an account's failed logins after a successful one). */
  reset(key: string): Promise<void>;
}

/** The store cannot be reached: the limit cannot be applied, so the request is refused. */
export class RateLimitUnavailableError extends ServiceUnavailableError {
  constructor(cause?: unknown) {
    super('Rate limits cannot be checked right now.');
    this.cause = cause;
  }
}

export interface MemoryRateLimitStoreOptions {
  /** Most keys remembered; the least recently used are forgotten first (bounds memory). */
  readonly maxKeys?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

interface Window {
  count: number;
  readonly endsAt: number;
}

/**
 * The store in this process's memory: enough for development, tests and a single process. Each
 * process counts alone and a restart forgets; with REDIS_URL the container picks the Redis
 * store instead. The count is synchronous, so concurrent requests cannot interleave inside it.
 */
export function createMemoryRateLimitStore(
  options: MemoryRateLimitStoreOptions = {},
): RateLimitStore {
  const now = options.now ?? Date.now;
  const windows = new LRUCache<string, Window>({ max: options.maxKeys ?? 10_000 });
  const current = (key: string): Window | undefined => {
    const window = windows.get(key);
    if (window && window.endsAt <= now()) {
      windows.delete(key);
      return undefined;
    }
    return window;
  };
  return {
    consume(key, limit, windowMs) {
      let window = current(key);
      if (window) window.count += 1;
      else {
        window = { count: 1, endsAt: now() + windowMs };
        windows.set(key, window);
      }
      return Promise.resolve({
        allowed: window.count <= limit,
        remaining: Math.max(0, limit - window.count),
        retryAfterMs: window.endsAt - now(),
      });
    },
    refund(key) {
      const window = current(key);
      if (window && window.count > 0) window.count -= 1;
      return Promise.resolve();
    },
    reset(key) {
      windows.delete(key);
      return Promise.resolve();
    },
  };
}
