import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { LinkFixture } from '#test/factories.ts';
import { csvObjects } from '#test/helpers/csv.ts';
import {
  seedClicks,
  seedExportUser,
  storedData,
  type ExportFixture,
} from '#test/helpers/export-fixtures.ts';
import { loginBrowser } from '#test/helpers/login.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';
import { until } from '#test/helpers/until.ts';
import { createLink, createUser } from '#test/factories.ts';

const SITE_URL = 'https://hop.example.com';
/** What a CSV cell shows for stored text: empty for null, a leading ' before a formula. */
const cell = (value: string | null) =>
  value === null ? '' : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
const iso = (value: Date | null) => (value === null ? null : value.toISOString());

describe('data export on the site', () => {
  let t: TestApp;
  let owner: ExportFixture;
  let other: ExportFixture;
  let browser: TestBrowser;
  const db = () => t.container.database.db;

  before(async () => {
    t = await buildTestApp({ SITE_URL });
    owner = await seedExportUser(db());
    other = await seedExportUser(db(), 5);
    browser = await loginBrowser(t.app, owner.user);
  });
  after(() => t.close());

  /** The four downloads' headers, checked once each. */
  async function download(path: string, type: RegExp) {
    const response = await browser.get(path);
    assert.equal(response.statusCode, 200, response.body.slice(0, 300));
    assert.match(String(response.headers['content-type']), type);
    const today = new Date().toISOString().slice(0, 10);
    const file = path.split('/').at(-1)?.replace('.', `-${today}.`);
    assert.equal(
      response.headers['content-disposition'],
      `attachment; filename="hoplink-${owner.user.username}-${file}"`,
    );
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['transfer-encoding'], 'chunked', 'streamed, not buffered');
    return response.body;
  }

  test('the profile page links to the four downloads and to the deletion', async () => {
    const page = await browser.get('/accounts/profile');
    for (const path of ['links.csv', 'links.json', 'clicks.csv', 'clicks.json']) {
      assert.match(page.body, new RegExp(`href="/accounts/export/${path.replace('.', '\\.')}"`));
    }
    assert.match(page.body, /href="\/accounts\/delete"/);
  });

  test('links, as CSV and as JSON: each of the owner’s links as stored, with all-time totals', async () => {
    const stored = await storedData(db(), owner.user.id);
    const totals = new Map(stored.totals.map((row) => [row.linkId, row]));
    const expected = stored.links
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map((link) => ({
        code: link.code,
        slug: link.slug,
        shortUrl: `${SITE_URL}/${link.code}`,
        slugUrl: link.slug === null ? null : `${SITE_URL}/${owner.user.username}/${link.slug}`,
        url: link.targetUrl,
        title: link.title,
        status: link.disabled
          ? 'disabled'
          : link.expiresAt && link.expiresAt < new Date()
            ? 'expired'
            : 'active',
        redirectStatus: link.redirectStatus,
        expiresAt: iso(link.expiresAt),
        createdAt: iso(link.createdAt),
        updatedAt: iso(link.updatedAt),
        clicks: totals.get(link.id)?.clicks ?? 0,
        uniqueVisitors: totals.get(link.id)?.visitors ?? 0,
        bots: totals.get(link.id)?.bots ?? 0,
      }));
    assert.deepEqual(
      expected.map((link) => link.status),
      ['expired', 'disabled', 'active', 'active'],
    );
    assert.ok(expected.some((link) => link.clicks > 0 && link.bots > 0));

    const json: unknown = JSON.parse(
      await download('/accounts/export/links.json', /^application\/json/),
    );
    assert.deepEqual(json, expected);

    const csv = csvObjects(
      await download('/accounts/export/links.csv', /^text\/csv; charset=utf-8/),
    );
    assert.deepEqual(csv.header, Object.keys(expected[0] ?? {}));
    assert.deepEqual(
      csv.rows,
      expected.map((link) =>
        Object.fromEntries(
          Object.entries(link).map(([key, value]) => [
            key,
            typeof value === 'string' || value === null ? cell(value) : String(value),
          ]),
        ),
      ),
    );
  });

  test('clicks, as CSV and as JSON: every click of the owner’s links, never an IP or visitor hash', async () => {
    const stored = await storedData(db(), owner.user.id);
    const order = new Map(owner.links.map((link, index) => [link.code, index]));
    const expected = stored.clicks
      .sort(
        (a, b) =>
          (order.get(a.code) ?? 0) - (order.get(b.code) ?? 0) ||
          a.click.clickedAt.getTime() - b.click.clickedAt.getTime() ||
          a.click.eventId.localeCompare(b.click.eventId),
      )
      .map(({ code, click }) => ({
        code,
        clickedAt: click.clickedAt.toISOString(),
        referrer: click.referrer,
        referrerHost: click.referrerHost,
        browser: click.browser,
        os: click.os,
        device: click.device,
        isBot: click.isBot,
      }));
    assert.equal(expected.length, 60);

    const json: unknown = JSON.parse(
      await download('/accounts/export/clicks.json', /^application\/json/),
    );
    assert.deepEqual(json, expected);

    const body = await download('/accounts/export/clicks.csv', /^text\/csv/);
    assert.doesNotMatch(body, /203\.0\.113|visitor-/, 'no IP, no visitor hash');
    const csv = csvObjects(body);
    assert.deepEqual(csv.header, Object.keys(expected[0] ?? {}));
    assert.deepEqual(
      csv.rows,
      expected.map((click) => ({
        ...click,
        referrer: cell(click.referrer),
        referrerHost: cell(click.referrerHost),
        browser: cell(click.browser),
        os: cell(click.os),
        device: cell(click.device),
        isBot: String(click.isBot),
      })),
    );
  });

  test('formula cells are defused, and another user’s data never appears', async () => {
    const clicksCsv = await download('/accounts/export/clicks.csv', /^text\/csv/);
    const linksCsv = await download('/accounts/export/links.csv', /^text\/csv/);
    // Each hostile value starts with its ' (after the field's opening quote when it is quoted).
    for (const line of [...clicksCsv.split('\r\n'), ...linksCsv.split('\r\n')]) {
      for (const field of line.split(',')) {
        assert.doesNotMatch(field, /^"?[=+\-@]/, `a formula left live: ${line}`);
      }
    }
    assert.match(clicksCsv, /,"'=HYPERLINK\(""https:\/\/evil\.example/);
    assert.match(linksCsv, /,"'=1\+1, ""quoted""\nnext line",/);
    const everything = [
      clicksCsv,
      linksCsv,
      await download('/accounts/export/links.json', /json/),
      await download('/accounts/export/clicks.json', /json/),
    ].join('\n');
    for (const link of other.links) assert.ok(!everything.includes(link.code), link.code);
  });

  test('a user without links gets a header row and an empty array', async () => {
    const empty = await createUser(db());
    const visitor = await loginBrowser(t.app, empty);
    assert.equal(
      (await visitor.get('/accounts/export/clicks.csv')).body.split('\r\n')[0],
      'code,clickedAt,referrer,referrerHost,browser,os,device,isBot',
    );
    assert.deepEqual(JSON.parse((await visitor.get('/accounts/export/links.json')).body), []);
  });

  test('an anonymous visitor is sent to the login form, and HEAD runs no export', async () => {
    const anonymous = new TestBrowser(t.app);
    const answer = await anonymous.get('/accounts/export/links.csv');
    assert.equal(answer.statusCode, 303);
    assert.equal(answer.headers.location, '/accounts/login?next=%2Faccounts%2Fexport%2Flinks.csv');
    const head = await t.app.inject({ method: 'HEAD', url: '/accounts/export/links.csv' });
    assert.equal(head.statusCode, 405);
  });

  test('a download closed after its first chunk stops reading the database', async () => {
    const heavy = await createUser(db());
    const link: LinkFixture = await createLink(db(), { ownerId: heavy.id });
    const total = 12_000;
    await seedClicks(db(), link.id, total);
    const cookie = (await loginBrowser(t.app, heavy)).cookieHeader;
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const since = t.logs.lines.length;

    const first = await new Promise<string>((resolve, reject) => {
      const client = request(
        new URL('/accounts/export/clicks.csv', base),
        { headers: { cookie, host: 'localhost' } },
        (response) => {
          response.once('data', (chunk: Buffer) => {
            resolve(chunk.toString());
            client.destroy();
          });
        },
      );
      client.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ECONNRESET') reject(error);
      });
      client.end();
    });
    assert.match(first, /^code,clickedAt,/);

    const ended = () =>
      t.logs
        .entries()
        .slice(since)
        .find(
          (entry) =>
            entry.msg === 'data export ended early' || entry.msg === 'data export finished',
        );
    await until(() => ended() !== undefined, 'the export to end');
    const line = ended() ?? {};
    assert.equal(line.msg, 'data export ended early', JSON.stringify(line));
    assert.equal(line.complete, false);
    assert.equal(line.export, 'clicks');
    console.log(`the closed download read ${String(line.rows)} of ${total} clicks`);
    // A few pages of a thousand were read while the close travelled, not the twelve there are.
    assert.ok(Number(line.rows) <= total / 2, `read ${String(line.rows)} of ${total} clicks`);
  });
});
