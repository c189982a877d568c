import { LRUCache } from 'lru-cache';
import { LinkLookupUnavailableError } from './errors.ts';
import type { LinkAddresses } from './link-changes.ts';
import { isCodeShape, isSlugPathShape } from './link-rules.ts';
import type { LinksService, RedirectTarget } from './links.service.ts';

export interface RedirectCacheOptions {
  /** Live links kept, least recently used evicted first. Default 10 000. */
  readonly max?: number;
  /**
   * How long a link counts as fresh. Default 30 s. Changes reach every process at once through
   * the link-change broadcast; this is the safety net for a missed message.
   */
  readonly ttlMs?: number;
  /** Unknown addresses remembered, in their own LRU so a scan cannot evict hot links. Default 10 000. */
  readonly missMax?: number;
  /** Short, so a link created in another process is found soon. Default 5 s. */
  readonly missTtlMs?: number;
  /** After a failed lookup, how long the database is left alone (stale links are served). Default 5 s. */
  readonly retryAfterMs?: number;
  /** Told when lookups start failing (with the error) and when they work again. */
  readonly onAvailability?: (available: boolean, error?: unknown) => void;
  /** Monotonic clock for the TTLs (tests move it); `performance` by default. */
  readonly clock?: { now(): number };
  /** Wall clock for link expiry; `Date.now` by default. */
  readonly now?: () => number;
}

/**
 * How a redirect was answered: from a fresh entry (`hit`), from one past its TTL (`stale`, refreshed
 * behind the response or kept through an outage), after a database lookup (`miss`), with the 404
 * (`not_found`: unknown, disabled, expired or malformed) or with the 503 (`unavailable`).
 */
export type RedirectOutcome = 'hit' | 'stale' | 'miss' | 'not_found' | 'unavailable';

/** Counts since the cache was made, and what it holds now: plain numbers for the metrics. */
export interface RedirectCacheStats {
  readonly outcomes: Readonly<Record<RedirectOutcome, number>>;
  /** Live links held. */
  readonly links: number;
  /** Unknown addresses remembered. */
  readonly unknown: number;
}

export interface RedirectCache {
  /** The link at `/<code>`, null when there is none; throws LinkLookupUnavailableError. */
  byCode(code: string): Promise<RedirectTarget | null>;
  bySlug(username: string, slug: string): Promise<RedirectTarget | null>;
  /** The invalidation hook: subscribe it to the link changes. */
  readonly forget: (addresses: LinkAddresses) => void;
  /**
   * Everything cached becomes stale (refreshed on next use, still served while the database is
   * down): for when changes may have been missed, such as a lost broadcast connection.
   */
  readonly expireAll: () => void;
  /** Read at scrape time; counting costs the redirect one increment. */
  readonly stats: () => RedirectCacheStats;
}

interface Entry {
  readonly target: RedirectTarget | null;
  /** On the monotonic clock. */
  readonly fetchedAt: number;
  /** The expireAll round it was fetched in; an entry of an earlier round is stale. */
  readonly round: number;
}

const codeKey = (code: string) => `c/${code}`;
const slugKey = (username: string, slug: string) =>
  `s/${username.toLowerCase()}/${slug.toLowerCase()}`;

/**
 * The in-process cache in front of the links service, so a hot link costs no database trip.
 *
 * - Fresh entries are served from memory. A stale link is served at once and refreshed behind
 *   the response (the redirect waits on nothing but the cache); an unknown address past its
 *   miss TTL is looked up again before answering.
 * - Concurrent lookups of one address share one query.
 * - When the database fails, known links keep redirecting from their last known target, however
 *   old, and the database is left alone for `retryAfterMs` between attempts; an address with no
 *   known target raises LinkLookupUnavailableError (a 503, never a 404 that clients would keep).
 */
export function createRedirectCache(
  links: Pick<LinksService, 'resolve' | 'resolveSlug'>,
  options: RedirectCacheOptions = {},
): RedirectCache {
  const clock = options.clock ?? performance;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? 30_000;
  const missTtlMs = options.missTtlMs ?? 5_000;
  const retryAfterMs = options.retryAfterMs ?? 5_000;
  // No TTL in the LRUs themselves: a stale entry is what keeps a link alive in an outage.
  const hits = new LRUCache<string, Entry>({ max: options.max ?? 10_000 });
  const misses = new LRUCache<string, Entry>({ max: options.missMax ?? 10_000 });
  // Bumped by every invalidation: an answer loaded across one may be stale, so it is not kept.
  let generation = 0;
  // Entries of an earlier round are stale whatever their age (expireAll).
  let round = 0;
  // Until this instant (monotonic) the database is not asked: it failed recently.
  let unavailableUntil = -Infinity;
  let available = true;
  // Lookups under way: concurrent requests for one address share one database query (a link
  // shared in a busy channel, or a scan, would otherwise send one query per request).
  const loading = new Map<string, Promise<RedirectTarget | null>>();
  // One plain number per outcome: the redirect pays an increment, the scrape reads them.
  let hitCount = 0;
  let staleCount = 0;
  let missCount = 0;
  let notFoundCount = 0;
  let unavailableCount = 0;

  function setAvailable(value: boolean, error?: unknown): void {
    if (value === available) return;
    available = value;
    options.onAvailability?.(value, error);
  }

  function load(key: string, query: () => Promise<RedirectTarget | null>) {
    const existing = loading.get(key);
    if (existing) return existing;
    const seen = generation;
    const pending: Promise<RedirectTarget | null> = query()
      .then(
        (target) => {
          setAvailable(true);
          if (seen === generation) {
            const entry = { target, fetchedAt: clock.now(), round };
            if (target) {
              hits.set(key, entry);
              misses.delete(key);
            } else {
              misses.set(key, entry);
              hits.delete(key);
            }
          }
          return target;
        },
        (error: unknown) => {
          unavailableUntil = clock.now() + retryAfterMs;
          setAvailable(false, error);
          throw new LinkLookupUnavailableError(retryAfterMs);
        },
      )
      .finally(() => {
        if (loading.get(key) === pending) loading.delete(key);
      });
    loading.set(key, pending);
    return pending;
  }

  function isFresh(entry: Entry, ttl: number): boolean {
    return entry.round === round && clock.now() - entry.fetchedAt < ttl;
  }

  async function lookup(
    key: string,
    query: () => Promise<RedirectTarget | null>,
  ): Promise<RedirectTarget | null> {
    const hit = hits.get(key);
    let target: RedirectTarget | null;
    let outcome: 'hit' | 'stale' | 'miss' = 'hit';
    if (hit) {
      target = hit.target;
      if (!isFresh(hit, ttlMs)) {
        outcome = 'stale';
        // Served stale now; the refresh's outcome (or failure) only affects later requests.
        if (clock.now() >= unavailableUntil) load(key, query).catch(() => undefined);
      }
    } else {
      const miss = misses.get(key);
      if (miss && isFresh(miss, missTtlMs)) {
        target = null;
      } else if (clock.now() < unavailableUntil) {
        unavailableCount += 1;
        throw new LinkLookupUnavailableError(unavailableUntil - clock.now());
      } else {
        outcome = 'miss';
        try {
          target = await load(key, query);
        } catch (error) {
          unavailableCount += 1;
          throw error;
        }
      }
    }
    // A cached link may expire while cached.
    if (target === null || (target.expiresAt !== null && target.expiresAt.getTime() <= now())) {
      notFoundCount += 1;
      return null;
    }
    if (outcome === 'hit') hitCount += 1;
    else if (outcome === 'stale') staleCount += 1;
    else missCount += 1;
    return target;
  }

  /** A malformed address: never looked up, never cached, a 404 all the same. */
  function malformed(): null {
    notFoundCount += 1;
    return null;
  }

  return {
    byCode: async (code) =>
      isCodeShape(code) ? lookup(codeKey(code), () => links.resolve(code)) : malformed(),
    bySlug: async (username, slug) =>
      isSlugPathShape(username, slug)
        ? lookup(slugKey(username, slug), () => links.resolveSlug(username, slug))
        : malformed(),
    forget: ({ codes, slugs }) => {
      generation += 1;
      const keys = [
        ...codes.map(codeKey),
        ...slugs.map(({ username, slug }) => slugKey(username, slug)),
      ];
      for (const key of keys) {
        hits.delete(key);
        misses.delete(key);
        // A load that started before the change may return the old link: later requests query anew.
        loading.delete(key);
      }
    },
    expireAll: () => {
      generation += 1;
      round += 1;
    },
    stats: () => ({
      outcomes: {
        hit: hitCount,
        stale: staleCount,
        miss: missCount,
        not_found: notFoundCount,
        unavailable: unavailableCount,
      },
      links: hits.size,
      unknown: misses.size,
    }),
  };
}
