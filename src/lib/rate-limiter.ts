import { LRUCache } from 'lru-cache';

export interface RateLimiterOptions {
  /** Hits allowed per key within one window. */
  readonly limit: number;
  /** Window length in milliseconds; a key's window starts with its first hit. */
  readonly windowMs: number;
  /** Most keys remembered; the least recently used are forgotten first (bounds memory). */
  readonly maxKeys?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

export interface RateLimiter {
  /** Whether `key` has used up its window; a blocked key gets the wait in milliseconds. */
  check(key: string): { readonly blocked: boolean; readonly retryAfterMs: number };
  /** Counts one hit for `key`. */
  hit(key: string): void;
  /** Forgets `key` (e.g. after a successful login). */
  reset(key: string): void;
}

interface Window {
  count: number;
  readonly endsAt: number;
}

/**
 * A fixed-window counter per key, held in this process's memory: each web worker counts on its
 * own and counts are lost on restart. Enough to slow guessing on one server; a shared store
 * (Redis) is the answer when several processes must agree.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
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
    check(key) {
      const window = current(key);
      if (!window || window.count < options.limit) return { blocked: false, retryAfterMs: 0 };
      return { blocked: true, retryAfterMs: window.endsAt - now() };
    },
    hit(key) {
      const window = current(key);
      if (window) window.count += 1;
      else windows.set(key, { count: 1, endsAt: now() + options.windowMs });
    },
    reset(key) {
      windows.delete(key);
    },
  };
}
