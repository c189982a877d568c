import { createRateLimiter, type RateLimiter } from '#src/lib/rate-limiter.ts';
import { TooManyAttemptsError } from './errors.ts';

/** Attempts allowed per client IP and per account (email or username) within one window. */
export interface ThrottlePolicy {
  readonly perIp: number;
  readonly perAccount: number;
  readonly windowMs: number;
}

/** Failed logins: generous per IP (offices share one), strict per account (guessing). */
export const LOGIN_POLICY: ThrottlePolicy = { perIp: 20, perAccount: 5, windowMs: 15 * 60_000 };
/** Reset requests, each of which may send an email: a mailbox must not be flooded. */
export const RESET_POLICY: ThrottlePolicy = { perIp: 10, perAccount: 3, windowMs: 60 * 60_000 };

/**
 * Counts attempts per IP and per account and refuses once either is spent. In-memory per
 * process (see createRateLimiter): with several workers each counts alone, so the real limit is
 * the policy times the worker count until a shared store (Redis) arrives.
 */
export interface AttemptThrottle {
  /** Throws TooManyAttemptsError when the IP or the account used up its attempts. */
  assertAllowed(ip: string, account: string): void;
  /** Counts one attempt against both. */
  record(ip: string, account: string): void;
  /** Forgets the account's attempts (after a successful login). */
  clearAccount(account: string): void;
}

export function createAttemptThrottle(policy: ThrottlePolicy, now?: () => number): AttemptThrottle {
  const options = { windowMs: policy.windowMs, ...(now ? { now } : {}) };
  const byIp: RateLimiter = createRateLimiter({ ...options, limit: policy.perIp });
  const byAccount: RateLimiter = createRateLimiter({ ...options, limit: policy.perAccount });
  // Case-insensitive, so BOB@example.com and bob@example.com share one budget.
  const accountKey = (account: string) => account.trim().toLowerCase();
  return {
    assertAllowed(ip, account) {
      const ipState = byIp.check(ip);
      const accountState = byAccount.check(accountKey(account));
      if (ipState.blocked || accountState.blocked) {
        throw new TooManyAttemptsError(Math.max(ipState.retryAfterMs, accountState.retryAfterMs));
      }
    },
    record(ip, account) {
      byIp.hit(ip);
      byAccount.hit(accountKey(account));
    },
    clearAccount(account) {
      byAccount.reset(accountKey(account));
    },
  };
}
