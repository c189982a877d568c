import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asc, eq } from 'drizzle-orm';
import { links as linksTable } from '#src/db/schema.ts';
import { createLink, createUser, type LinkFixture, type UserFixture } from '#test/factories.ts';
import { assertCspSafe } from '#test/helpers/html-assertions.ts';
import { loginBrowser } from '#test/helpers/login.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

/** Distinct creation times (PGlite's clock may give rows made in one millisecond the same). */
const minute = (index: number) => new Date(Date.UTC(2030, 0, 1, 0, index));

/** The field's control points at its error (aria-describedby), is marked invalid, and says why. */
function assertFieldError(page: string, field: string, message: RegExp): void {
  const control = new RegExp(
    `<(input|select) id="field-${field}"[^>]*aria-describedby="[^"]*\\bfield-${field}-error\\b[^"]*" aria-invalid="true"`,
  );
  assert.match(page, control, `the ${field} control is tied to its error`);
  const error = new RegExp(
    `<p class="field-error" id="field-${field}-error"><span class="visually-hidden">Error: </span>([^<]*)</p>`,
  ).exec(page)?.[1];
  assert.ok(error, `an error message for ${field}`);
  assert.match(error, message);
  assert.match(page, new RegExp(`<a href="#field-${field}">`), 'the summary links to the field');
}

/** The value attribute of a form control, as the page sends it (still HTML-escaped). */
function valueOf(page: string, field: string): string | undefined {
  return new RegExp(`<input id="field-${field}"[^>]* value="([^"]*)"`).exec(page)?.[1];
}

describe('the link pages', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  const signedIn = async () => {
    const user = await createUser((await sharedDatabase()).db);
    return { user, browser: await loginBrowser(t.app, user) };
  };
  const rowsOf = async (user: UserFixture) =>
    (await sharedDatabase()).db
      .select()
      .from(linksTable)
      .where(eq(linksTable.ownerId, user.id))
      .orderBy(asc(linksTable.createdAt));
  const visit = (path: string, headers: Record<string, string> = {}) =>
    t.app.inject({ url: path, headers: { host: 'localhost', ...headers } });

  test('every link page needs a signed-in user', async () => {
    const anonymous = new TestBrowser(t.app);
    for (const path of ['/links', '/links/new']) {
      const response = await anonymous.get(path);
      assert.equal(response.statusCode, 303, path);
      assert.equal(response.headers.location, `/accounts/login?next=${encodeURIComponent(path)}`);
    }
  });

  test('a new user sees the empty state and the new-link form', async () => {
    const { browser } = await signedIn();
    const list = await browser.get('/links');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /No links yet/);
    assert.match(list.body, /href="\/links\/new"/);
    assertCspSafe(list.body, 'empty list');

    const form = await browser.get('/links/new');
    assert.equal(form.statusCode, 200);
    assertCspSafe(form.body, 'new link page');
    for (const field of ['url', 'code', 'slug', 'title', 'expiresAt']) {
      assert.match(form.body, new RegExp(`<label for="field-${field}">`), `${field} is labelled`);
    }
    assert.match(form.body, /<select id="field-redirectStatus" name="redirectStatus"/);
    assert.match(form.body, /<option value="302" selected>/, 'REDIRECT_STATUS preselected');
    assert.match(form.body, /<form method="post" action="\/links" class="form" novalidate>/);
  });

  test('create with a generated code: flash, redirect to the stats page, short URL on SITE_URL', async () => {
    const { user, browser } = await signedIn();
    const created = await browser.post('/links', {
      url: 'https://example.com/some/long/path?x=1',
      code: '',
      slug: '',
      title: '',
      redirectStatus: '302',
      expiresAt: '',
    });
    assert.equal(created.statusCode, 303);
    const [row] = await rowsOf(user);
    assert.ok(row);
    assert.match(row.code, /^[A-Za-z0-9]{7}$/);
    assert.equal(row.targetUrl, 'https://example.com/some/long/path?x=1');
    assert.equal(row.title, null);
    assert.equal(row.redirectStatus, 302);
    assert.equal(created.headers.location, `/links/${row.id}`);

    const page = await browser.get(`/links/${row.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /class="flash flash-success">Short link created: /);
    const shortUrl = `http://localhost:8000/${row.code}`;
    assert.ok(page.body.includes(`data-copy="${shortUrl}"`), 'a copy button for the short URL');
    assert.ok(page.body.includes(`<a href="${shortUrl}">${shortUrl}</a>`));
    const redirect = await visit(`/${row.code}`);
    assert.equal(redirect.statusCode, 302);
  });

  test('create with an alias, slug, title, status and expiry (read as UTC)', async () => {
    const { user, browser } = await signedIn();
    const alias = `My-Alias_${Date.now().toString(36)}`;
    const created = await browser.post('/links', {
      url: 'https://example.com/',
      code: alias,
      slug: 'launch',
      title: 'Launch post',
      redirectStatus: '308',
      expiresAt: '2099-12-31T23:30',
    });
    assert.equal(created.statusCode, 303);
    const [row] = await rowsOf(user);
    assert.ok(row);
    assert.equal(row.code, alias);
    assert.equal(row.slug, 'launch');
    assert.equal(row.title, 'Launch post');
    assert.equal(row.redirectStatus, 308);
    assert.deepEqual(row.expiresAt, new Date('2099-12-31T23:30:00Z'));
    const page = await browser.get(`/links/${row.id}`);
    assert.ok(page.body.includes(`http://localhost:8000/${user.username}/launch`));
    assert.match(page.body, /<h1>Launch post<\/h1>/);
    assert.equal((await visit(`/${alias}`)).statusCode, 308);
  });

  test("the home page's short form (url and code only) creates with the default status", async () => {
    const { user, browser } = await signedIn();
    await browser.get('/');
    const created = await browser.post('/links', { url: 'https://example.org/home', code: '' });
    assert.equal(created.statusCode, 303);
    const [row] = await rowsOf(user);
    assert.ok(row);
    assert.equal(row.redirectStatus, 302);
    const refused = await browser.post('/links', { url: 'ftp://example.org/' });
    assert.equal(refused.statusCode, 400);
    assertFieldError(refused.body, 'url', /Only http:\/\/ and https:\/\//);
    assert.match(refused.body, /<option value="302" selected>/);
  });

  const badInputs: {
    name: string;
    form: Record<string, string>;
    field: string;
    message: RegExp;
    status?: number;
  }[] = [
    { name: 'invalid URL', form: { url: 'not a url' }, field: 'url', message: /valid URL/ },
    {
      name: 'javascript: URL',
      form: { url: 'javascript:alert("<b>x</b>")' },
      field: 'url',
      message: /Only http:\/\/ and https:\/\//,
    },
    {
      name: 'own host',
      form: { url: 'http://localhost:8000/abc' },
      field: 'url',
      message: /would loop/,
    },
    {
      name: 'too long URL',
      form: { url: `https://example.com/${'a'.repeat(2100)}` },
      field: 'url',
      message: /at most 2048/,
    },
    { name: 'reserved alias', form: { code: 'links' }, field: 'code', message: /reserved/ },
    {
      name: 'reserved alias, any case',
      form: { code: 'AdMiN' },
      field: 'code',
      message: /reserved/,
    },
    {
      name: 'invalid alias characters',
      form: { code: 'no spaces!' },
      field: 'code',
      message: /letters, digits, - and _/,
    },
    { name: 'too short alias', form: { code: 'ab' }, field: 'code', message: /3 to 64/ },
    { name: 'uppercase slug', form: { slug: 'Launch' }, field: 'slug', message: /lowercase/ },
    {
      name: 'unknown redirect status',
      form: { redirectStatus: '303' },
      field: 'redirectStatus',
      message: /301, 302, 307 or 308/,
    },
    {
      name: 'expiry in the past',
      form: { expiresAt: '2001-01-01T00:00' },
      field: 'expiresAt',
      message: /future/,
    },
  ];
  for (const bad of badInputs) {
    test(`create refuses ${bad.name}: 400, the error on its field, values kept, nothing stored`, async () => {
      const { user, browser } = await signedIn();
      await browser.get('/links/new');
      const form = {
        url: 'https://example.com/fine',
        code: '',
        slug: '',
        title: 'Typed <title>',
        redirectStatus: '302',
        expiresAt: '',
        ...bad.form,
      };
      const response = await browser.post('/links', form);
      assert.equal(response.statusCode, bad.status ?? 400);
      assertCspSafe(response.body, `refused create (${bad.name})`);
      assertFieldError(response.body, bad.field, bad.message);
      assert.equal(
        valueOf(response.body, 'url'),
        form.url
          .replace(/&/g, '&amp;')
          .replace(/"/g, '&quot;')
          .replace(/</g, '&lt;')
          .replace(/>/g, '&gt;'),
        'the typed URL is shown again, escaped',
      );
      assert.equal(valueOf(response.body, 'title'), 'Typed &lt;title&gt;');
      if (form.code !== '') assert.equal(valueOf(response.body, 'code'), form.code);
      assert.deepEqual(await rowsOf(user), [], 'no link was stored');
    });
  }

  test('a duplicate alias is refused on the code field (409: taken, not malformed)', async () => {
    const { user, browser } = await signedIn();
    const alias = `dup-${Date.now().toString(36)}`;
    await t.container.links.create(user.id, { url: 'https://example.com/first', code: alias });
    await browser.get('/links/new');
    const response = await browser.post('/links', {
      url: 'https://example.com/second',
      code: alias,
    });
    assert.equal(response.statusCode, 409);
    assertFieldError(response.body, 'code', /already taken/);
    assert.equal(valueOf(response.body, 'code'), alias);
    assert.equal(valueOf(response.body, 'url'), 'https://example.com/second');
    assert.equal((await rowsOf(user)).length, 1);
  });

  test('creating without a valid CSRF token is refused (403) and stores nothing', async () => {
    const { user, browser } = await signedIn();
    await browser.get('/links/new');
    const missing = await browser.post('/links', { url: 'https://example.com/' }, { csrf: null });
    assert.equal(missing.statusCode, 403);
    const forged = await browser.post(
      '/links',
      { url: 'https://example.com/' },
      { csrf: 'forged.token' },
    );
    assert.equal(forged.statusCode, 403);
    assert.deepEqual(await rowsOf(user), []);
  });

  test('the list: newest first, search, Newer/Older pages, click counts, states', async () => {
    const { user, browser } = await signedIn();
    const { db } = await sharedDatabase();
    const other = await createUser(db);
    await t.container.links.create(other.id, { url: 'https://example.com/', title: 'Not mine' });
    const made: LinkFixture[] = [];
    for (let index = 1; index <= 23; index += 1) {
      made.push(
        await createLink(db, {
          ownerId: user.id,
          targetUrl: `https://example.com/item/${index}`,
          title: index % 5 === 0 ? `Beta ${index}` : `Alpha ${index}`,
          createdAt: minute(index),
        }),
      );
    }
    const disabled = made[22];
    assert.ok(disabled);
    await t.container.links.update(user.id, disabled.id, { disabled: true });
    const first = made[0];
    assert.ok(first);
    for (let index = 0; index < 2; index += 1) {
      await visit(`/${first.code}`, { 'user-agent': FIREFOX });
    }
    await visit(`/${first.code}`, { 'user-agent': GOOGLEBOT });
    await t.container.clickSink.flush();

    const page1 = await browser.get('/links');
    assert.equal(page1.statusCode, 200);
    assertCspSafe(page1.body, 'links list');
    const titles = (body: string) =>
      [...body.matchAll(/class="link-name" href="\/links\/[^"]+">([^<]+)</g)].map((m) => m[1]);
    assert.deepEqual(
      titles(page1.body),
      Array.from({ length: 20 }, (_, index) => 23 - index).map((n) =>
        n % 5 === 0 ? `Beta ${n}` : `Alpha ${n}`,
      ),
    );
    assert.doesNotMatch(page1.body, /Not mine/);
    assert.match(page1.body, /Disabled/);
    assert.match(page1.body, new RegExp(`title="https://example.com/item/23"`));
    assert.doesNotMatch(page1.body, /rel="prev"/, 'no Newer on the first page');
    const older = /href="([^"]+)" rel="next"/.exec(page1.body)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(older, 'an Older link');

    const page2 = await browser.get(older);
    assert.deepEqual(titles(page2.body), ['Alpha 3', 'Alpha 2', 'Alpha 1']);
    assert.match(
      page2.body,
      />2<span class="cell-unit"> clicks<\/span><\/a>/,
      'the first link counts 2 clicks (the bot is left out)',
    );
    assert.doesNotMatch(page2.body, /rel="next"/, 'no Older on the last page');
    const newer = /href="([^"]+)" rel="prev"/.exec(page2.body)?.[1]?.replace(/&amp;/g, '&');
    assert.equal(newer, '/links');

    const search = await browser.get('/links?q=beta');
    assert.deepEqual(titles(search.body), ['Beta 20', 'Beta 15', 'Beta 10', 'Beta 5']);
    assert.match(search.body, /value="beta"/, 'the search box keeps the query');
    const none = await browser.get('/links?q=%3Cnothing%3E');
    assert.equal(none.statusCode, 200);
    assert.match(none.body, /Nothing matches “&lt;nothing&gt;”/);

    const bogus = await browser.get('/links?cursor=bogus');
    assert.equal(bogus.statusCode, 400);
  });

  test('three pages: Newer steps back one page at a time', async () => {
    const { user, browser } = await signedIn();
    const { db } = await sharedDatabase();
    for (let index = 1; index <= 45; index += 1) {
      await createLink(db, { ownerId: user.id, title: `L${index}`, createdAt: minute(index) });
    }
    const next = (body: string, rel: 'next' | 'prev') =>
      new RegExp(`href="([^"]+)" rel="${rel}"`).exec(body)?.[1]?.replace(/&amp;/g, '&');
    const first = (body: string) => /class="link-name" href="[^"]+">([^<]+)</.exec(body)?.[1];
    const page1 = await browser.get('/links');
    const page2 = await browser.get(next(page1.body, 'next') ?? '');
    const page3 = await browser.get(next(page2.body, 'next') ?? '');
    assert.equal(first(page3.body), 'L5');
    const back2 = await browser.get(next(page3.body, 'prev') ?? '');
    assert.equal(first(back2.body), 'L25');
    const back1 = await browser.get(next(back2.body, 'prev') ?? '');
    assert.equal(first(back1.body), 'L45');
  });

  test('the stats page: totals without bots, a 30-bar SVG chart, top lists, recent clicks', async () => {
    const { user, browser } = await signedIn();
    const link = await t.container.links.create(user.id, {
      url: 'https://example.com/stats',
      title: 'Stats <me>',
    });
    const click = (userAgent: string, ip: string, referer?: string) =>
      t.app.inject({
        url: `/${link.code}`,
        remoteAddress: ip,
        headers: { host: 'localhost', 'user-agent': userAgent, ...(referer ? { referer } : {}) },
      });
    await click(FIREFOX, '198.51.100.10', 'https://news.example.org/item');
    await click(FIREFOX, '198.51.100.10', 'https://news.example.org/other');
    await click(IPHONE, '203.0.113.20');
    await click(GOOGLEBOT, '66.249.66.1', 'https://spam.example/');
    await t.container.clickSink.flush();

    const response = await browser.get(`/links/${link.id}`);
    assert.equal(response.statusCode, 200);
    const page = response.body;
    assertCspSafe(page, 'stats page');
    assert.match(page, /<h1>Stats &lt;me&gt;<\/h1>/, 'the title is escaped');
    assert.match(page, /<dt>Clicks<\/dt><dd>3<\/dd>/);
    assert.match(page, /<dt>Unique visitors<\/dt><dd>2<\/dd>/);
    assert.match(page, /<dt>Bot visits \(not counted\)<\/dt><dd>1<\/dd>/);

    const svg = /<svg class="chart"[\s\S]*?<\/svg>/.exec(page)?.[0];
    assert.ok(svg, 'an SVG chart');
    assert.doesNotMatch(svg, /<script/i);
    assert.match(svg, /role="img" aria-labelledby="daily-chart-title daily-chart-desc"/);
    assert.match(svg, /<title id="daily-chart-title">Clicks per day/);
    assert.match(svg, /<desc id="daily-chart-desc">3 clicks from /);
    assert.equal((svg.match(/class="chart-bar/g) ?? []).length, 30, 'one bar per day');
    const today = new Date().toISOString().slice(0, 10);
    assert.match(svg, new RegExp(`<title>${today}: 3 clicks</title>`), "today's bar");
    assert.equal((svg.match(/: 0 clicks<\/title>/g) ?? []).length, 29);
    assert.match(page, new RegExp(`<th scope="row">${today}</th><td>3</td>`), 'the table fallback');

    assert.match(page, /news\.example\.org[\s\S]*?<td class="numeric">2<\/td>/);
    assert.doesNotMatch(
      page.split('Top referrers')[1]?.split('Browsers')[0] ?? '',
      /spam\.example/,
    );
    assert.match(page, /Firefox/);
    assert.match(page, /Mobile Safari/);
    assert.match(page, /iOS/);
    const recent = page.slice(page.indexOf('<h2 class="section-title">Recent clicks</h2>'));
    assert.equal((recent.match(/>Bot</g) ?? []).length, 1, 'the bot click is flagged');
    assert.match(recent, /spam\.example/);
    assert.match(page, /action="\/links\/[^"]+\/disable"/);
    assert.match(page, new RegExp(`href="/links/${link.id}/edit"`));
  });

  test('a link without clicks shows zeros and an empty, labelled chart', async () => {
    const { user, browser } = await signedIn();
    const link = await t.container.links.create(user.id, { url: 'https://example.com/q' });
    const page = (await browser.get(`/links/${link.id}`)).body;
    assert.match(page, /<dt>Clicks<\/dt><dd>0<\/dd>/);
    assert.match(page, /No clicks from /);
    assert.equal((page.match(/class="chart-bar is-zero"/g) ?? []).length, 30);
    assert.match(page, /Nobody has followed this link/);
  });

  test('edit: the form shows the link; saving changes it; bad input keeps the row', async () => {
    const { user, browser } = await signedIn();
    const link = await t.container.links.create(user.id, {
      url: 'https://example.com/old',
      title: 'Old',
      expiresAt: '2099-01-01T00:00:00Z',
    });
    const form = await browser.get(`/links/${link.id}/edit`);
    assert.equal(form.statusCode, 200);
    assertCspSafe(form.body, 'edit page');
    assert.equal(valueOf(form.body, 'url'), 'https://example.com/old');
    assert.equal(valueOf(form.body, 'code'), link.code);
    assert.equal(valueOf(form.body, 'expiresAt'), '2099-01-01T00:00');
    assert.match(form.body, /<input id="field-disabled" name="disabled" type="checkbox" value="1"/);

    const refused = await browser.post(`/links/${link.id}/edit`, {
      url: 'javascript:alert(1)',
      code: link.code,
      slug: '',
      title: 'New title',
      redirectStatus: '302',
      expiresAt: '2099-01-01T00:00',
    });
    assert.equal(refused.statusCode, 400);
    assertFieldError(refused.body, 'url', /Only http/);
    assert.equal(valueOf(refused.body, 'title'), 'New title');
    assert.equal((await rowsOf(user))[0]?.title, 'Old', 'unchanged');

    const alias = `renamed-${Date.now().toString(36)}`;
    const saved = await browser.post(`/links/${link.id}/edit`, {
      url: 'https://example.com/new',
      code: alias,
      slug: 'mine',
      title: '',
      redirectStatus: '301',
      expiresAt: '',
      disabled: '1',
    });
    assert.equal(saved.statusCode, 303);
    assert.equal(saved.headers.location, `/links/${link.id}`);
    const [row] = await rowsOf(user);
    assert.ok(row);
    assert.equal(row.targetUrl, 'https://example.com/new');
    assert.equal(row.code, alias);
    assert.equal(row.slug, 'mine');
    assert.equal(row.title, null);
    assert.equal(row.redirectStatus, 301);
    assert.equal(row.expiresAt, null);
    assert.equal(row.disabled, true);
    assert.equal((await visit(`/${alias}`)).statusCode, 404, 'disabled from the edit form');
    assert.match((await browser.get(`/links/${link.id}`)).body, /Saved changes/);
  });

  test('editing a link whose expiry has passed keeps that expiry without an error', async () => {
    const { user, browser } = await signedIn();
    const link = await t.container.links.create(user.id, { url: 'https://example.com/e' });
    const db = (await sharedDatabase()).db;
    await db
      .update(linksTable)
      .set({ expiresAt: new Date('2020-05-05T10:00:00Z') })
      .where(eq(linksTable.id, link.id));
    const list = await browser.get('/links');
    assert.match(list.body, /Expired/);
    const saved = await browser.post(`/links/${link.id}/edit`, {
      url: 'https://example.com/e',
      code: link.code,
      title: 'Renamed',
      redirectStatus: '302',
      expiresAt: '2020-05-05T10:00',
    });
    assert.equal(saved.statusCode, 303);
    const [row] = await rowsOf(user);
    assert.ok(row);
    assert.equal(row.title, 'Renamed');
    assert.deepEqual(row.expiresAt, new Date('2020-05-05T10:00:00Z'));
  });

  test('disable makes the short URL a 404; enable brings it back', async () => {
    const { user, browser } = await signedIn();
    const link = await t.container.links.create(user.id, { url: 'https://example.com/t' });
    assert.equal((await visit(`/${link.code}`)).statusCode, 302);
    await browser.get(`/links/${link.id}`);
    const disabled = await browser.post(`/links/${link.id}/disable`);
    assert.equal(disabled.statusCode, 303);
    assert.equal(disabled.headers.location, `/links/${link.id}`);
    assert.equal((await visit(`/${link.code}`)).statusCode, 404);
    const page = await browser.get(`/links/${link.id}`);
    assert.match(page.body, /is disabled: its short URL now answers/);
    assert.match(page.body, /action="\/links\/[^"]+\/enable"/);
    const enabled = await browser.post(`/links/${link.id}/enable`);
    assert.equal(enabled.statusCode, 303);
    assert.equal((await visit(`/${link.code}`)).statusCode, 302);
  });

  test('delete: a confirmation page, then the link and its short URL are gone', async () => {
    const { user, browser } = await signedIn();
    const link = await t.container.links.create(user.id, {
      url: 'https://example.com/d',
      title: 'Doomed',
    });
    const confirm = await browser.get(`/links/${link.id}/delete`);
    assert.equal(confirm.statusCode, 200);
    assertCspSafe(confirm.body, 'delete confirmation');
    assert.match(confirm.body, /<h1>Delete Doomed\?<\/h1>/);
    assert.match(confirm.body, new RegExp(`action="/links/${link.id}/delete"`));
    assert.equal((await rowsOf(user)).length, 1, 'the GET deletes nothing');

    const refused = await browser.post(`/links/${link.id}/delete`, {}, { csrf: null });
    assert.equal(refused.statusCode, 403);
    // The error page knows who is signed in: their navigation and log-out button stay.
    assert.match(refused.body, new RegExp(`class="nav-user"[^>]*>${user.username}<`));
    assert.match(refused.body, /action="\/accounts\/logout"/);
    assert.equal((await rowsOf(user)).length, 1, 'no CSRF token, no delete');

    const deleted = await browser.post(`/links/${link.id}/delete`);
    assert.equal(deleted.statusCode, 303);
    assert.equal(deleted.headers.location, '/links');
    assert.deepEqual(await rowsOf(user), []);
    assert.equal((await visit(`/${link.code}`)).statusCode, 404);
    const list = await browser.get('/links');
    assert.match(list.body, /class="flash flash-success">Deleted Doomed/);
    // Every 404 looks the same, signed in or not (the staff area's must not stand out).
    const gone = await browser.get(`/links/${link.id}`);
    assert.equal(gone.statusCode, 404);
    assert.doesNotMatch(gone.body, /nav-user|accounts\/logout/);
  });

  test("another user's link is a 404 on every route, and nothing changes", async () => {
    const owner = await signedIn();
    const link = await t.container.links.create(owner.user.id, {
      url: 'https://example.com/private',
      title: 'Private',
    });
    const { browser } = await signedIn();
    await browser.get('/links');
    for (const path of [
      `/links/${link.id}`,
      `/links/${link.id}/edit`,
      `/links/${link.id}/delete`,
    ]) {
      const response = await browser.get(path);
      assert.equal(response.statusCode, 404, `GET ${path}`);
      assert.doesNotMatch(
        response.body,
        /Private|example\.com\/private/,
        `GET ${path} leaks nothing`,
      );
    }
    const form = { url: 'https://example.com/hijacked', code: '', title: 'Hijacked' };
    for (const path of [
      `/links/${link.id}/edit`,
      `/links/${link.id}/delete`,
      `/links/${link.id}/disable`,
      `/links/${link.id}/enable`,
    ]) {
      const response = await browser.post(path, form);
      assert.equal(response.statusCode, 404, `POST ${path}`);
    }
    const [row] = await rowsOf(owner.user);
    assert.ok(row);
    assert.equal(row.title, 'Private');
    assert.equal(row.targetUrl, 'https://example.com/private');
    assert.equal(row.disabled, false);
  });

  test('a malformed or unknown link id is a 404, not a 400', async () => {
    const { browser } = await signedIn();
    for (const id of ['not-a-uuid', '00000000-0000-4000-8000-000000000000', 'x'.repeat(90)]) {
      for (const path of [`/links/${id}`, `/links/${id}/edit`, `/links/${id}/delete`]) {
        assert.equal((await browser.get(path)).statusCode, 404, `GET ${path}`);
      }
      assert.equal((await browser.post(`/links/${id}/disable`)).statusCode, 404);
    }
  });
});
