import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { clicks } from '#src/db/schema.ts';
import type { LinksService } from '#src/modules/links/index.ts';
import { createLinkChanges } from '#src/modules/links/link-changes.ts';
import { createLinksRepository } from '#src/modules/links/links.repository.ts';
import { createLinksService } from '#src/modules/links/links.service.ts';
import { createLink, createUser, unique, type UserFixture } from '#test/factories.ts';
import { loginAs } from '#test/helpers/login.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { errorPage } from './pages/views/error-page.ts';
import { errorHandlerPlugin } from './plugins/error-handler.ts';
import { redirectRoutes } from './redirect.routes.ts';

const HOST = { host: 'localhost' };

function assertNotFoundPage(response: LightMyRequestResponse): void {
  assert.equal(response.statusCode, 404);
  assert.match(String(response.headers['content-type']), /text\/html/);
  assert.match(response.body, /Not found/);
  assert.equal(response.headers.location, undefined);
}

describe('redirect', () => {
  let t: TestApp;
  let links: LinksService;
  let user: UserFixture;

  async function clicksOf(linkId: string) {
    return t.container.database.db.select().from(clicks).where(eq(clicks.linkId, linkId));
  }

  before(async () => {
    t = await buildTestApp();
    links = t.container.links;
    user = await createUser(t.container.database.db);
  });
  after(() => t.close());

  test('302: Location, no-store, noindex and the security headers; no database write', async () => {
    const link = await links.create(user.id, { url: 'https://example.com/landing?utm=x' });
    const before = t.container.clickSink.pending;
    const response = await t.app.inject({ url: `/${link.code}`, headers: HOST });
    assert.equal(response.statusCode, 302);
    assert.equal(response.headers.location, 'https://example.com/landing?utm=x');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['x-robots-tag'], 'noindex');
    assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(response.body, '');
    // The click waits in the sink: the request itself wrote nothing.
    assert.equal(t.container.clickSink.pending, before + 1);
    assert.deepEqual(await clicksOf(link.id), []);
    await t.container.clickSink.flush();
    assert.equal((await clicksOf(link.id)).length, 1);
  });

  for (const [status, cacheControl] of [
    [301, 'private, max-age=90'],
    [308, 'private, max-age=90'],
    [307, 'no-store'],
  ] as const) {
    test(`${status}: Cache-Control ${cacheControl}`, async () => {
      const link = await links.create(user.id, {
        url: 'https://example.com/',
        redirectStatus: status,
      });
      const response = await t.app.inject({ url: `/${link.code}`, headers: HOST });
      assert.equal(response.statusCode, status);
      assert.equal(response.headers.location, 'https://example.com/');
      assert.equal(response.headers['cache-control'], cacheControl);
      assert.equal(response.headers['x-robots-tag'], 'noindex');
    });
  }

  test('HEAD answers the same headers and records no click', async () => {
    const link = await links.create(user.id, { url: 'https://example.com/head' });
    const before = t.container.clickSink.pending;
    const response = await t.app.inject({ method: 'HEAD', url: `/${link.code}`, headers: HOST });
    assert.equal(response.statusCode, 302);
    assert.equal(response.headers.location, 'https://example.com/head');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['x-robots-tag'], 'noindex');
    assert.equal(t.container.clickSink.pending, before);
    await t.container.clickSink.flush();
    assert.deepEqual(await clicksOf(link.id), []);
  });

  test('a click is stored with what the request carried, parsed after the response', async () => {
    const link = await links.create(user.id, { url: 'https://example.com/' });
    await t.app.inject({
      url: `/${link.code}`,
      remoteAddress: '203.0.113.77',
      headers: {
        ...HOST,
        referer: 'https://news.example.org/item?id=1',
        'user-agent':
          'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
        // Not trusted (TRUST_PROXY_HEADERS is off): must not become the client IP.
        'x-forwarded-for': '198.51.100.9',
      },
    });
    await t.container.clickSink.flush();
    const [click] = await clicksOf(link.id);
    assert.ok(click);
    assert.equal(click.referrerHost, 'news.example.org');
    assert.equal(click.browser, 'Firefox');
    assert.equal(click.os, 'Windows');
    assert.equal(click.device, 'desktop');
    assert.equal(click.isBot, false);
    assert.equal(click.ip, '203.0.113.0');
  });

  test('unknown, disabled and expired links get the friendly 404 page', async () => {
    assertNotFoundPage(await t.app.inject({ url: '/NoSuchLink', headers: HOST }));
    assertNotFoundPage(await t.app.inject({ url: `/${'x'.repeat(90)}`, headers: HOST }));
    assertNotFoundPage(await t.app.inject({ url: '/bad.code', headers: HOST }));

    const disabled = await links.create(user.id, { url: 'https://example.com/' });
    await links.update(user.id, disabled.id, { disabled: true });
    assertNotFoundPage(await t.app.inject({ url: `/${disabled.code}`, headers: HOST }));

    const expired = await createLink(t.container.database.db, {
      ownerId: user.id,
      expiresAt: new Date(Date.now() - 1_000),
    });
    assertNotFoundPage(await t.app.inject({ url: `/${expired.code}`, headers: HOST }));
    const head = await t.app.inject({ method: 'HEAD', url: '/NoSuchLink', headers: HOST });
    assert.equal(head.statusCode, 404);
    assert.equal(head.headers.location, undefined);
  });

  test('/<username>/<slug> redirects; another user’s name does not', async () => {
    const link = await links.create(user.id, { url: 'https://example.com/cv', slug: 'cv' });
    const response = await t.app.inject({ url: `/${user.username}/cv`, headers: HOST });
    assert.equal(response.statusCode, 302);
    assert.equal(response.headers.location, 'https://example.com/cv');
    const other = await createUser(t.container.database.db);
    assertNotFoundPage(await t.app.inject({ url: `/${other.username}/cv`, headers: HOST }));
    await links.remove(user.id, link.id);
    assertNotFoundPage(await t.app.inject({ url: `/${user.username}/cv`, headers: HOST }));
  });

  test('edit, disable and enable take effect on the next request (the cache is told)', async () => {
    const link = await links.create(user.id, { url: 'https://example.com/v1' });
    const get = () => t.app.inject({ url: `/${link.code}`, headers: HOST });
    assert.equal((await get()).headers.location, 'https://example.com/v1');
    await links.update(user.id, link.id, { url: 'https://example.com/v2', redirectStatus: 301 });
    const edited = await get();
    assert.equal(edited.statusCode, 301);
    assert.equal(edited.headers.location, 'https://example.com/v2');
    await links.update(user.id, link.id, { disabled: true });
    assertNotFoundPage(await get());
    await links.update(user.id, link.id, { disabled: false });
    assert.equal((await get()).statusCode, 301);
  });

  test('the session cookie is not even read: no session lookup on the hot path', async () => {
    const link = await links.create(user.id, { url: 'https://example.com/' });
    const cookie = 'hoplink_session=forged.value';
    // A page resolves the session, finds the cookie bad and clears it...
    const page = await t.app.inject({ url: '/', headers: { ...HOST, cookie } });
    assert.match(String(page.headers['set-cookie']), /hoplink_session=;/);
    // ...while the redirect never looks.
    const redirect = await t.app.inject({ url: `/${link.code}`, headers: { ...HOST, cookie } });
    assert.equal(redirect.statusCode, 302);
    assert.equal(redirect.headers['set-cookie'], undefined);
  });

  test('fixed paths win over /<code>, even for a code no one could choose', async () => {
    await createLink(t.container.database.db, { ownerId: user.id, code: 'healthz' });
    const response = await t.app.inject({ url: '/healthz', headers: HOST });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });

  test('other methods on a short link get 405 with Allow', async () => {
    const link = await links.create(user.id, { url: 'https://example.com/' });
    const response = await t.app.inject({ method: 'POST', url: `/${link.code}`, headers: HOST });
    assert.equal(response.statusCode, 405);
    assert.match(String(response.headers.allow), /GET/);
  });
});

describe('redirect cache in front of the database', () => {
  let app: FastifyInstance;
  let links: LinksService;
  let user: UserFixture;
  const lookups: string[] = [];

  before(async () => {
    const { db } = await sharedDatabase();
    const repository = createLinksRepository(db);
    const changes = createLinkChanges();
    links = createLinksService({
      // The service's own dependency, counted: every lookup that reaches the database.
      repository: {
        ...repository,
        findRedirectByCode: async (code) => {
          lookups.push(code);
          return repository.findRedirectByCode(code);
        },
      },
      siteUrl: 'http://localhost:8000',
      allowedHosts: ['localhost'],
      defaultRedirectStatus: 302,
      changes,
    });
    user = await createUser(db);
    app = Fastify();
    await app.register(errorHandlerPlugin, {
      debug: false,
      format: 'html',
      renderPage: errorPage,
    });
    await app.register(redirectRoutes, {
      links,
      linkChanges: changes,
      clicks: { capture: () => undefined },
    });
    await app.ready();
  });
  after(() => app.close());

  test('a hot link costs one database lookup; an edit costs one more', async () => {
    const link = await links.create(user.id, { url: 'https://example.com/a' });
    for (let i = 0; i < 5; i += 1) {
      const response = await app.inject({ url: `/${link.code}` });
      assert.equal(response.headers.location, 'https://example.com/a');
    }
    assert.deepEqual(lookups, [link.code]);

    await links.update(user.id, link.id, { url: 'https://example.com/b' });
    assert.equal(
      (await app.inject({ url: `/${link.code}` })).headers.location,
      'https://example.com/b',
    );
    assert.equal(
      (await app.inject({ url: `/${link.code}` })).headers.location,
      'https://example.com/b',
    );
    assert.deepEqual(lookups, [link.code, link.code]);

    await links.update(user.id, link.id, { disabled: true });
    assert.equal((await app.inject({ url: `/${link.code}` })).statusCode, 404);
    assert.equal((await app.inject({ url: `/${link.code}` })).statusCode, 404);
    assert.equal(lookups.length, 3, 'the miss is cached too');
    await links.remove(user.id, link.id);
    assert.equal((await app.inject({ url: `/${link.code}` })).statusCode, 404);
    assert.equal(lookups.length, 4);
  });

  test('unknown codes are remembered, so a scan does not reach the database twice', async () => {
    const code = `Unknown${unique()}`;
    lookups.length = 0;
    await app.inject({ url: `/${code}` });
    await app.inject({ url: `/${code}` });
    assert.deepEqual(lookups, [code]);
    // Creating that alias makes it live at once in this process.
    await links.create(user.id, { url: 'https://example.com/new', code });
    assert.equal((await app.inject({ url: `/${code}` })).statusCode, 302);
  });

  test('after close, the cache no longer listens to link changes', async () => {
    const { db } = await sharedDatabase();
    const changes = createLinkChanges();
    let listening = 0;
    const spy = {
      subscribe: (listener: Parameters<typeof changes.subscribe>[0]) => {
        listening += 1;
        const off = changes.subscribe(listener);
        return () => {
          listening -= 1;
          off();
        };
      },
    };
    const other = Fastify();
    await other.register(redirectRoutes, {
      links: createLinksService({
        repository: createLinksRepository(db),
        siteUrl: 'http://localhost:8000',
        allowedHosts: [],
        defaultRedirectStatus: 302,
      }),
      linkChanges: spy,
      clicks: { capture: () => undefined },
    });
    await other.ready();
    assert.equal(listening, 1);
    await other.close();
    assert.equal(listening, 0);
  });
});

describe('the redirect never answers with a cookie', () => {
  const OLD_KEY = 'old-key-for-rotation-test-0123456789abcdefghijklmnopqrstuvwxyz';
  const NEW_KEY = 'new-key-for-rotation-test-0123456789abcdefghijklmnopqrstuvwxyz';
  let before: TestApp;
  let rotated: TestApp;
  after(async () => {
    await before.close();
    await rotated.close();
  });

  test('whatever cookies the visitor holds: rotated, stale or forged', async () => {
    before = await buildTestApp({ SECRET_KEY: OLD_KEY });
    const user = await createUser(before.container.database.db);
    const link = await before.container.links.create(user.id, { url: 'https://example.com/r' });
    // Cookies signed with the key that is now a fallback: the site re-signs them on sight.
    const signedWithOldKey = await loginAs(before.app, user);
    assert.match(
      signedWithOldKey,
      /hoplink_session=.+hoplink_csrf=|hoplink_csrf=.+hoplink_session=/,
    );
    rotated = await buildTestApp({ SECRET_KEY: NEW_KEY, SECRET_KEY_FALLBACKS: OLD_KEY });

    const page = await rotated.app.inject({
      url: '/',
      headers: { ...HOST, cookie: signedWithOldKey },
    });
    assert.ok(page.headers['set-cookie'], 'a page re-signs cookies made with a fallback key');

    for (const cookie of [
      signedWithOldKey,
      'hoplink_session=stale.c2lnbmF0dXJl; hoplink_csrf=forged.c2lnbmF0dXJl',
      'hoplink_flash=eyJ4Ijp9.bad',
    ]) {
      const response = await rotated.app.inject({
        url: `/${link.code}`,
        headers: { ...HOST, cookie },
      });
      assert.equal(response.statusCode, 302);
      assert.equal(response.headers['set-cookie'], undefined, `no Set-Cookie for ${cookie}`);
    }
    const unknown = await rotated.app.inject({
      url: '/no-such-code-here',
      headers: { ...HOST, cookie: signedWithOldKey },
    });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.headers['set-cookie'], undefined, 'nor does its 404');
  });
});
