import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { links } from '#src/db/schema.ts';
import { createApiToken, createUser } from '#test/factories.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';

const LINK_FIELDS = [
  'code',
  'createdAt',
  'disabled',
  'id',
  'redirectStatus',
  'shortUrl',
  'slug',
  'title',
  'url',
].sort();

interface ApiLink {
  id: string;
  code: string;
  slug: string | null;
  url: string;
  title: string | null;
  shortUrl: string;
  redirectStatus: number;
  disabled: boolean;
  createdAt: string;
}

interface ApiError {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

describe('/api/v1/links', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({
      SITE_URL: 'https://hop.example',
      ALLOWED_HOSTS: 'localhost,hop.example',
    });
  });
  after(() => t.close());

  /** A fresh user with a read+write token, and a way to call the API as them. */
  async function caller(scopes?: readonly string[]) {
    const user = await createUser((await sharedDatabase()).db);
    const { authorization } = await createApiToken(t.container.apiTokens, user.id, scopes);
    const call = (
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: string,
      payload?: unknown,
      headers: Record<string, string> = {},
    ) =>
      t.app.inject({
        method,
        url,
        headers: { authorization, ...headers },
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    return { user, call };
  }

  async function rowsOf(ownerId: string): Promise<number> {
    const [row] = await (
      await sharedDatabase()
    ).db
      .select({ n: count() })
      .from(links)
      .where(eq(links.ownerId, ownerId));
    return row?.n ?? 0;
  }

  test('create, read, update, delete: the contract fields, and nothing else', async () => {
    const { user, call } = await caller();
    const created = await call('POST', '/api/v1/links', {
      url: 'https://example.com/a?b=c',
      title: 'Example',
      slug: 'my-page',
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.match(String(created.headers['content-type']), /^application\/json/);
    const link = created.json<ApiLink>();
    assert.deepEqual(Object.keys(link).sort(), LINK_FIELDS);
    assert.match(link.code, /^[A-Za-z0-9]{7}$/);
    assert.equal(link.url, 'https://example.com/a?b=c');
    assert.equal(link.shortUrl, `https://hop.example/${link.code}`);
    assert.equal(link.slug, 'my-page');
    assert.equal(link.title, 'Example');
    assert.equal(link.redirectStatus, 302);
    assert.equal(link.disabled, false);
    assert.ok(!Number.isNaN(Date.parse(link.createdAt)));
    assert.equal(created.headers.location, `https://hop.example/api/v1/links/${link.id}`);
    assert.ok(!created.body.includes(user.id), 'the owner id never leaves');

    const read = await call('GET', `/api/v1/links/${link.id}`);
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json(), link);

    const patched = await call('PATCH', `/api/v1/links/${link.id}`, {
      url: 'https://example.org/',
      code: `alias-${link.code}`,
      title: null,
      slug: null,
      redirectStatus: 308,
      disabled: true,
    });
    assert.equal(patched.statusCode, 200, patched.body);
    const changed = patched.json<ApiLink>();
    assert.deepEqual(Object.keys(changed).sort(), LINK_FIELDS);
    assert.deepEqual(changed, {
      ...link,
      url: 'https://example.org/',
      code: `alias-${link.code}`,
      shortUrl: `https://hop.example/alias-${link.code}`,
      title: null,
      slug: null,
      redirectStatus: 308,
      disabled: true,
    });

    const removed = await call('DELETE', `/api/v1/links/${link.id}`);
    assert.equal(removed.statusCode, 204);
    assert.equal(removed.body, '');
    assert.equal((await call('GET', `/api/v1/links/${link.id}`)).statusCode, 404);
    assert.equal(await rowsOf(user.id), 0);
  });

  test('a chosen alias and redirect status are kept', async () => {
    const { call } = await caller();
    const code = `Api_${Date.now().toString(36)}`;
    const created = await call('POST', '/api/v1/links', {
      url: 'http://example.com',
      code,
      redirectStatus: 301,
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json<ApiLink>().code, code);
    assert.equal(created.json<ApiLink>().redirectStatus, 301);
  });

  test('the list pages through every link once, newest first, and searches', async () => {
    const { call } = await caller();
    const made: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const response = await call('POST', '/api/v1/links', {
        url: `https://example.com/${i}`,
        title: i % 2 === 0 ? `even ${i}` : `odd ${i}`,
      });
      made.push(response.json<ApiLink>().id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
      const response = await call('GET', `/api/v1/links${query}`);
      assert.equal(response.statusCode, 200, response.body);
      const page = response.json<{ items: ApiLink[]; nextCursor: string | null }>();
      assert.ok(page.items.length <= 3);
      for (const item of page.items) assert.deepEqual(Object.keys(item).sort(), LINK_FIELDS);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...made].reverse(), 'no gaps, no duplicates, newest first');

    const defaults = await call('GET', '/api/v1/links');
    assert.equal(defaults.json<{ items: ApiLink[] }>().items.length, 7);
    assert.equal(defaults.json<{ nextCursor: string | null }>().nextCursor, null);

    const found = await call('GET', '/api/v1/links?q=EVEN');
    assert.deepEqual(
      found.json<{ items: ApiLink[] }>().items.map((item) => item.title),
      ['even 6', 'even 4', 'even 2', 'even 0'],
    );
  });

  test('stats count flushed clicks; days is checked', async () => {
    const { call } = await caller();
    const link = (
      await call('POST', '/api/v1/links', { url: 'https://example.com/stats' })
    ).json<ApiLink>();
    for (const agent of [
      'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0',
      'Googlebot/2.1 (+http://www.google.com/bot.html)',
    ]) {
      const visit = await t.app.inject({
        method: 'GET',
        url: `/${link.code}`,
        headers: { 'user-agent': agent, referer: 'https://news.example/item' },
      });
      assert.equal(visit.statusCode, 302);
    }
    await t.container.clickSink.flush();

    const response = await call('GET', `/api/v1/links/${link.id}/stats?days=7`);
    assert.equal(response.statusCode, 200, response.body);
    const stats = response.json<Record<string, unknown>>();
    for (const field of [
      'clicks',
      'uniqueVisitors',
      'bots',
      'daily',
      'referrers',
      'browsers',
      'os',
      'devices',
      'recent',
    ]) {
      assert.ok(field in stats, `stats has ${field}`);
    }
    assert.equal(stats.clicks, 1);
    assert.equal(stats.uniqueVisitors, 1);
    assert.equal(stats.bots, 1);
    const daily = stats.daily as { date: string; clicks: number }[];
    assert.equal(daily.length, 7);
    assert.deepEqual(daily.at(-1), { date: new Date().toISOString().slice(0, 10), clicks: 1 });
    assert.deepEqual(stats.referrers, [{ value: 'news.example', clicks: 1 }]);
    assert.equal((stats.recent as unknown[]).length, 2);

    const defaults = await call('GET', `/api/v1/links/${link.id}/stats`);
    assert.equal(defaults.json<{ daily: unknown[] }>().daily.length, 30);
    for (const days of ['0', '366', 'abc', '1.5']) {
      const bad = await call('GET', `/api/v1/links/${link.id}/stats?days=${days}`);
      assert.equal(bad.statusCode, 400, `days=${days}`);
      assert.equal(bad.json<ApiError>().error.code, 'validation_failed');
      assert.equal(bad.json<ApiError>().error.details?.[0]?.field, 'days');
    }
  });

  test('bad input is a clear 4xx and changes nothing', async () => {
    const { user, call } = await caller();
    const taken = (
      await call('POST', '/api/v1/links', { url: 'https://example.com/', slug: 'taken' })
    ).json<ApiLink>();
    const before = await rowsOf(user.id);
    assert.equal(before, 1);

    const cases: [string, unknown, number, string, string][] = [
      ['no url', { title: 'x' }, 400, 'validation_failed', 'url'],
      ['not a URL', { url: 'not a url' }, 400, 'validation_failed', 'url'],
      ['javascript:', { url: 'javascript:alert(1)' }, 400, 'validation_failed', 'url'],
      ['own host', { url: 'https://hop.example/abc' }, 400, 'validation_failed', 'url'],
      ['credentials', { url: 'https://u:p@example.com/' }, 400, 'validation_failed', 'url'],
      [
        'too long',
        { url: `https://example.com/${'a'.repeat(2048)}` },
        400,
        'validation_failed',
        'url',
      ],
      ['number url', { url: 42 }, 400, 'validation_failed', 'url'],
      [
        'reserved alias',
        { url: 'https://example.com/', code: 'admin' },
        400,
        'validation_failed',
        'code',
      ],
      [
        'invalid alias',
        { url: 'https://example.com/', code: 'a b' },
        400,
        'validation_failed',
        'code',
      ],
      [
        'duplicate alias',
        { url: 'https://example.com/', code: taken.code },
        409,
        'conflict',
        'code',
      ],
      ['duplicate slug', { url: 'https://example.com/', slug: 'taken' }, 409, 'conflict', 'slug'],
      [
        'invalid slug',
        { url: 'https://example.com/', slug: 'Not Ok' },
        400,
        'validation_failed',
        'slug',
      ],
      [
        'bad status',
        { url: 'https://example.com/', redirectStatus: 303 },
        400,
        'validation_failed',
        'redirectStatus',
      ],
      [
        'long title',
        { url: 'https://example.com/', title: 't'.repeat(201) },
        400,
        'validation_failed',
        'title',
      ],
      [
        'unknown field',
        { url: 'https://example.com/', ownerId: user.id },
        400,
        'validation_failed',
        'ownerId',
      ],
      ['not an object', ['https://example.com/'], 400, 'validation_failed', 'body'],
    ];
    for (const [name, payload, status, code, field] of cases) {
      const response = await call('POST', '/api/v1/links', payload);
      assert.equal(response.statusCode, status, `${name}: ${response.body}`);
      const { error } = response.json<ApiError & { error: { requestId: string } }>();
      assert.equal(error.code, code, name);
      assert.ok(error.message.length > 0, name);
      assert.ok(
        error.details?.some((detail) => detail.field === field && detail.message.length > 0),
        `${name}: details name ${field}: ${JSON.stringify(error.details)}`,
      );
      assert.equal(error.requestId, response.headers['x-request-id'], name);
    }

    const empty = await call('POST', '/api/v1/links', undefined, {
      'content-type': 'application/json',
    });
    assert.equal(empty.statusCode, 400);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/api/v1/links',
      headers: { 'content-type': 'application/json' },
      payload: '{"url": ',
    });
    assert.equal(anonymous.statusCode, 401, 'no token: refused before the body is read');
    const badJson = await call('POST', '/api/v1/links', '{"url": ', {
      'content-type': 'application/json',
    });
    assert.equal(badJson.statusCode, 400);
    assert.equal(badJson.json<ApiError>().error.code, 'bad_request');

    const form = await call('POST', '/api/v1/links', 'url=https%3A%2F%2Fexample.com%2F', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(form.statusCode, 415);
    assert.equal(form.json<ApiError>().error.code, 'unsupported_media_type');
    const text = await call('POST', '/api/v1/links', 'https://example.com/', {
      'content-type': 'text/plain',
    });
    assert.equal(text.statusCode, 415);

    const huge = await call('POST', '/api/v1/links', {
      url: 'https://example.com/',
      title: 'x'.repeat(t.settings.serverBodyLimit),
    });
    assert.equal(huge.statusCode, 413);
    assert.equal(huge.json<ApiError>().error.code, 'payload_too_large');

    const patchCases: [unknown, string][] = [
      [{ url: 'javascript:alert(1)' }, 'url'],
      [{ disabled: 'yes' }, 'disabled'],
      [{ code: 'api' }, 'code'],
      [{ id: taken.id }, 'id'],
    ];
    for (const [payload, field] of patchCases) {
      const response = await call('PATCH', `/api/v1/links/${taken.id}`, payload);
      assert.equal(response.statusCode, 400, JSON.stringify(payload));
      assert.equal(response.json<ApiError>().error.details?.[0]?.field, field);
    }
    assert.deepEqual((await call('GET', `/api/v1/links/${taken.id}`)).json(), taken);

    for (const query of ['cursor=bogus', 'limit=0', 'limit=101', 'limit=two', 'sort=asc']) {
      const response = await call('GET', `/api/v1/links?${query}`);
      assert.equal(response.statusCode, 400, query);
      assert.equal(response.json<ApiError>().error.code, 'validation_failed', query);
      assert.equal(response.json<ApiError>().error.details?.[0]?.field, query.split('=')[0]);
    }
    assert.equal(await rowsOf(user.id), before, 'nothing was created');
  });

  test("another user's link is a 404 on every route, and stays as it was", async () => {
    const owner = await caller();
    const link = (
      await owner.call('POST', '/api/v1/links', { url: 'https://example.com/mine' })
    ).json<ApiLink>();
    const stranger = await caller();
    const attempts: ['GET' | 'PATCH' | 'DELETE', string, unknown][] = [
      ['GET', `/api/v1/links/${link.id}`, undefined],
      ['PATCH', `/api/v1/links/${link.id}`, { disabled: true }],
      ['DELETE', `/api/v1/links/${link.id}`, undefined],
      ['GET', `/api/v1/links/${link.id}/stats`, undefined],
      ['GET', '/api/v1/links/not-a-uuid', undefined],
      ['GET', '/api/v1/links/00000000-0000-4000-8000-000000000000/stats', undefined],
    ];
    for (const [method, url, payload] of attempts) {
      const response = await stranger.call(method, url, payload);
      assert.equal(response.statusCode, 404, `${method} ${url}`);
      assert.equal(response.json<ApiError>().error.code, 'not_found');
    }
    assert.deepEqual((await stranger.call('GET', '/api/v1/links')).json(), {
      items: [],
      nextCursor: null,
    });
    assert.deepEqual((await owner.call('GET', `/api/v1/links/${link.id}`)).json(), link);
  });
});
