import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LinkLookupUnavailableError } from './errors.ts';
import { createRedirectCache, type RedirectCacheOptions } from './redirect-cache.ts';
import type { RedirectTarget } from './links.service.ts';

/** A stand-in for the links service (the database side is proven in the redirect route test). */
function resolver(targets: Record<string, RedirectTarget>) {
  const calls: string[] = [];
  return {
    calls,
    resolve: (code: string) => {
      calls.push(code);
      return Promise.resolve(targets[code] ?? null);
    },
    resolveSlug: (username: string, slug: string) => {
      calls.push(`${username}/${slug}`);
      return Promise.resolve(targets[`${username.toLowerCase()}/${slug.toLowerCase()}`] ?? null);
    },
  };
}

const target = (linkId: string, expiresAt: Date | null = null): RedirectTarget => ({
  linkId,
  targetUrl: `https://example.com/${linkId}`,
  redirectStatus: 302,
  expiresAt,
});

function setup(targets: Record<string, RedirectTarget>, options: RedirectCacheOptions = {}) {
  const links = resolver(targets);
  const clock = { ms: 1_000, now: () => clock.ms };
  const cache = createRedirectCache(links, { clock, ttlMs: 30_000, missTtlMs: 5_000, ...options });
  return { links, clock, cache };
}

describe('redirect cache', () => {
  test('a link is looked up once, then served from memory until its TTL', async () => {
    const { links, clock, cache } = setup({ abc: target('1') });
    assert.equal((await cache.byCode('abc'))?.linkId, '1');
    assert.equal((await cache.byCode('abc'))?.linkId, '1');
    assert.deepEqual(links.calls, ['abc']);
    clock.ms += 30_001;
    await cache.byCode('abc');
    assert.deepEqual(links.calls, ['abc', 'abc']);
  });

  test('an unknown code is remembered for the shorter miss TTL', async () => {
    const { links, clock, cache } = setup({});
    assert.equal(await cache.byCode('nope'), null);
    assert.equal(await cache.byCode('nope'), null);
    assert.equal(links.calls.length, 1);
    clock.ms += 5_001;
    await cache.byCode('nope');
    assert.equal(links.calls.length, 2);
  });

  test('forget drops codes and slugs, found or not', async () => {
    const targets: Record<string, RedirectTarget> = { abc: target('1') };
    const { links, cache } = setup(targets);
    await cache.byCode('abc');
    await cache.byCode('later');
    await cache.bySlug('Bob', 'CV');
    targets.later = target('2');
    targets['bob/cv'] = target('3');
    cache.forget({ codes: ['abc', 'later'], slugs: [{ username: 'bob', slug: 'cv' }] });
    assert.equal((await cache.byCode('later'))?.linkId, '2');
    assert.equal((await cache.bySlug('bob', 'cv'))?.linkId, '3');
    await cache.byCode('abc');
    assert.deepEqual(links.calls, ['abc', 'later', 'Bob/CV', 'later', 'bob/cv', 'abc']);
  });

  test('an answer loaded while a change was announced is served but not kept', async () => {
    const links = resolver({ abc: target('old') });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = {
      resolve: async (code: string) => {
        const answer = await links.resolve(code);
        await gate;
        return answer;
      },
      resolveSlug: links.resolveSlug,
    };
    const cache = createRedirectCache(slow);
    const pending = cache.byCode('abc');
    cache.forget({ codes: ['abc'], slugs: [] });
    release();
    assert.equal((await pending)?.linkId, 'old');
    await cache.byCode('abc');
    assert.equal(links.calls.length, 2);
  });

  test('a cached link that expires meanwhile is not served', async () => {
    let wall = Date.parse('2030-01-01T00:00:00Z');
    const { cache } = setup(
      { abc: target('1', new Date('2030-01-01T00:00:10Z')) },
      { now: () => wall },
    );
    assert.equal((await cache.byCode('abc'))?.linkId, '1');
    wall += 10_000;
    assert.equal(await cache.byCode('abc'), null);
  });

  test('malformed addresses are neither looked up nor cached', async () => {
    const { links, cache } = setup({});
    assert.equal(await cache.byCode('x'.repeat(5_000)), null);
    assert.equal(await cache.byCode('a.b'), null);
    assert.equal(await cache.bySlug('bob', 'a b'), null);
    assert.deepEqual(links.calls, []);
  });

  test('a scan of unknown codes does not evict hot links', async () => {
    const { links, cache } = setup({ hot: target('1') }, { max: 2, missMax: 2 });
    await cache.byCode('hot');
    for (let i = 0; i < 100; i += 1) await cache.byCode(`scan${i}`);
    links.calls.length = 0;
    await cache.byCode('hot');
    assert.deepEqual(links.calls, []);
  });

  test('concurrent lookups of one uncached code make one query', async () => {
    const { links, cache } = setup({ abc: target('1') });
    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.byCode('abc')));
    assert.ok(answers.every((answer) => answer?.linkId === '1'));
    await Promise.all(Array.from({ length: 20 }, () => cache.byCode('nope')));
    assert.deepEqual(links.calls, ['abc', 'nope']);
  });

  test('a stale link is served at once and refreshed behind the answer', async () => {
    const targets: Record<string, RedirectTarget> = { abc: target('old') };
    const { links, clock, cache } = setup(targets);
    await cache.byCode('abc');
    targets.abc = target('new');
    clock.ms += 30_001;
    assert.equal((await cache.byCode('abc'))?.linkId, 'old', 'no wait on the database');
    await Promise.resolve();
    assert.equal((await cache.byCode('abc'))?.linkId, 'new');
    assert.deepEqual(links.calls, ['abc', 'abc']);
  });

  test('with the database down, known links keep redirecting and unknown ones are 503', async () => {
    const targets: Record<string, RedirectTarget> = { abc: target('1') };
    const links = resolver(targets);
    let down = false;
    const flaky = {
      resolve: (code: string) =>
        down ? Promise.reject(new Error('connection refused')) : links.resolve(code),
      resolveSlug: links.resolveSlug,
    };
    const clock = { ms: 1_000, now: () => clock.ms };
    const changes: boolean[] = [];
    const cache = createRedirectCache(flaky, {
      clock,
      retryAfterMs: 5_000,
      onAvailability: (available) => changes.push(available),
    });
    await cache.byCode('abc');

    down = true;
    clock.ms += 60_000;
    // Past its TTL: served from memory, and the refresh fails behind the answer.
    assert.equal((await cache.byCode('abc'))?.linkId, '1');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(changes, [false]);
    await assert.rejects(cache.byCode('unknown'), (error: unknown) => {
      assert.ok(error instanceof LinkLookupUnavailableError);
      assert.equal(error.statusCode, 503);
      assert.ok(error.retryAfterSeconds >= 1);
      return true;
    });
    const callsWhileDown = links.calls.length;
    for (let i = 0; i < 10; i += 1) assert.equal((await cache.byCode('abc'))?.linkId, '1');
    assert.equal(links.calls.length, callsWhileDown, 'the database is left alone for a while');

    down = false;
    clock.ms += 5_001;
    assert.equal(await cache.byCode('unknown'), null, 'asked again once the pause is over');
    assert.deepEqual(changes, [false, true]);
  });

  test('expireAll makes everything stale without losing it', async () => {
    const targets: Record<string, RedirectTarget> = { abc: target('old') };
    const { links, cache } = setup(targets);
    await cache.byCode('abc');
    targets.abc = target('new');
    cache.expireAll();
    assert.equal((await cache.byCode('abc'))?.linkId, 'old');
    await Promise.resolve();
    assert.equal((await cache.byCode('abc'))?.linkId, 'new');
    assert.equal(links.calls.length, 2);
  });
});
