import { LRUCache } from 'lru-cache';
import type { LinkAddresses } from './link-changes.ts';
import { isCodeShape, isSlugPathShape } from './link-rules.ts';
import type { LinksService, RedirectTarget } from './links.service.ts';

export interface RedirectCacheOptions {
  /** Live links kept, least recently used evicted first. Default 10 000. */
  readonly max?: number;
  /**
   * How long a link stays cached. Default 30 s. This process forgets a link as soon as it is
   * edited here; other worker processes only when the entry expires, so keep this short (the
   * queue issue can broadcast invalidations between processes).
   */
  readonly ttlMs?: number;
  /** Unknown addresses remembered, in their own LRU so a scan cannot evict hot links. Default 10 000. */
  readonly missMax?: number;
  /** Short, so a link created in another process is found soon. Default 5 s. */
  readonly missTtlMs?: number;
  /** Monotonic clock for the TTLs (tests move it); `performance` by default. */
  readonly clock?: { now(): number };
  /** Wall clock for link expiry; `Date.now` by default. */
  readonly now?: () => number;
}

export interface RedirectCache {
  byCode(code: string): Promise<RedirectTarget | null>;
  bySlug(username: string, slug: string): Promise<RedirectTarget | null>;
  /** The invalidation hook: subscribe it to the links service's changes. */
  readonly forget: (addresses: LinkAddresses) => void;
}

const codeKey = (code: string) => `c/${code}`;
const slugKey = (username: string, slug: string) =>
  `s/${username.toLowerCase()}/${slug.toLowerCase()}`;

/** The in-process cache in front of the links service, so a hot link costs no database trip. */
export function createRedirectCache(
  links: Pick<LinksService, 'resolve' | 'resolveSlug'>,
  options: RedirectCacheOptions = {},
): RedirectCache {
  // ttlResolution 0: read the clock on every lookup (cheap) rather than trust a cached reading.
  const perf = options.clock ?? performance;
  const now = options.now ?? Date.now;
  const hits = new LRUCache<string, RedirectTarget>({
    max: options.max ?? 10_000,
    ttl: options.ttlMs ?? 30_000,
    ttlResolution: 0,
    perf,
  });
  const misses = new LRUCache<string, true>({
    max: options.missMax ?? 10_000,
    ttl: options.missTtlMs ?? 5_000,
    ttlResolution: 0,
    perf,
  });
  // Bumped by every invalidation: an answer loaded across one may be stale, so it is not kept.
  let generation = 0;

  async function lookup(
    key: string,
    load: () => Promise<RedirectTarget | null>,
  ): Promise<RedirectTarget | null> {
    let target = hits.get(key) ?? (misses.has(key) ? null : undefined);
    if (target === undefined) {
      const seen = generation;
      target = await load();
      if (seen === generation) {
        if (target) hits.set(key, target);
        else misses.set(key, true);
      }
    }
    // A cached link may expire while cached.
    return target && target.expiresAt !== null && target.expiresAt.getTime() <= now()
      ? null
      : target;
  }

  return {
    byCode: async (code) =>
      isCodeShape(code) ? lookup(codeKey(code), () => links.resolve(code)) : null,
    bySlug: async (username, slug) =>
      isSlugPathShape(username, slug)
        ? lookup(slugKey(username, slug), () => links.resolveSlug(username, slug))
        : null,
    forget: ({ codes, slugs }) => {
      generation += 1;
      const keys = [
        ...codes.map(codeKey),
        ...slugs.map(({ username, slug }) => slugKey(username, slug)),
      ];
      for (const key of keys) {
        hits.delete(key);
        misses.delete(key);
      }
    },
  };
}
