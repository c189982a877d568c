import type { RateLimitStore } from '#src/lib/rate-limiter.ts';
import { TooManyAttemptsError } from './errors.ts';

/**
 * Attempts allowed per client IP, and per name typed (email or username) and per account,
 * within one window.
 */
export interface ThrottlePolicy {
  readonly perIp: number;
  readonly perAccount: number;
  readonly windowMs: number;
}

/** Logins: generous per IP (offices share one), strict per account (guessing). */
export const LOGIN_POLICY: ThrottlePolicy = { perIp: 20, perAccount: 5, windowMs: 15 * 60_000 };
/** Reset requests, each of which may send an email: a mailbox must not be flooded. */
export const RESET_POLICY: ThrottlePolicy = { perIp: 10, perAccount: 3, windowMs: 60 * 60_000 };
/**
 * Sign-ups that pass validation (each costs a password hash and may send an email): per IP, and
 * per address, which also bounds the "you already have an account" emails one owner receives.
 */
export const SIGN_UP_POLICY: ThrottlePolicy = { perIp: 20, perAccount: 3, windowMs: 60 * 60_000 };
/** New email-confirmation links asked for (each sends mail), per IP and per account. */
export const VERIFICATION_RESEND_POLICY: ThrottlePolicy = {
  perIp: 10,
  perAccount: 3,
  windowMs: 60 * 60_000,
};

export interface Attempt {
  readonly ip: string;
  /** The email address or username as typed; compared without case or surrounding space. */
  readonly name: string;
  /** The account `name` resolves to, when it does. */
  readonly accountId?: string | null;
}

/** `paused`: the account's budget is spent though the name's is not (see `count`). */
export type AttemptVerdict = 'go' | 'paused';

export interface AttemptThrottle {
  /**
   * Counts the attempt before any expensive work, against the IP, then the name typed, then the
   * account; counting stops at the first spent budget. Throws TooManyAttemptsError when the IP's
   * or the name's budget is spent. Resolves `paused` when only the account's is: then the
   * caller must answer exactly as for a wrong password, because a 429 there would tell that this
   * name belongs to an account another name was guessed at (docs/decisions/0012).
   */
  count(attempt: Attempt): Promise<AttemptVerdict>;
  /** After a successful login: the IP gets its hit back; the name and the account start over. */
  succeeded(attempt: Attempt): Promise<void>;
}

/**
 * Attempt counting over a shared RateLimitStore, namespaced by `scope` ("login", "reset"…).
 * Counting first and checking after (atomically, in the store) is what keeps N parallel requests
 * from all seeing the same last free attempt.
 */
export function createAttemptThrottle(
  store: RateLimitStore,
  scope: string,
  policy: ThrottlePolicy,
): AttemptThrottle {
  const keysOf = (attempt: Attempt) => ({
    ip: `${scope}:ip:${attempt.ip}`,
    name: `${scope}:name:${attempt.name.trim().toLowerCase()}`,
    account: attempt.accountId ? `${scope}:account:${attempt.accountId}` : null,
  });
  return {
    async count(attempt) {
      const keys = keysOf(attempt);
      const byIp = await store.consume(keys.ip, policy.perIp, policy.windowMs);
      if (!byIp.allowed) throw new TooManyAttemptsError(byIp.retryAfterMs);
      const byName = await store.consume(keys.name, policy.perAccount, policy.windowMs);
      if (!byName.allowed) throw new TooManyAttemptsError(byName.retryAfterMs);
      if (keys.account === null) return 'go';
      const byAccount = await store.consume(keys.account, policy.perAccount, policy.windowMs);
      return byAccount.allowed ? 'go' : 'paused';
    },
    async succeeded(attempt) {
      const keys = keysOf(attempt);
      await Promise.all([
        store.refund(keys.ip),
        store.reset(keys.name),
        keys.account === null ? undefined : store.reset(keys.account),
      ]);
    },
  };
}
