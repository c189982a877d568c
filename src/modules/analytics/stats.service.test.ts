import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { and, desc, eq, gte, not, sql } from 'drizzle-orm';
import type { Database } from '#src/db/client.ts';
import { clicks } from '#src/db/schema.ts';
import { AppError } from '#src/lib/errors.ts';
import { Secret } from '#src/lib/secret.ts';
import { createLinksModule, type Link, type LinksService } from '#src/modules/links/index.ts';
import { createUser, type UserFixture } from '#test/factories.ts';
import {
  createTestDatabase,
  describeEachDatabase,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { createClickWriter } from './click-writer.ts';
import { createClicksRepository } from './clicks.repository.ts';
import { createStatsRepository } from './stats.repository.ts';
import { createStatsService, type StatsService } from './stats.service.ts';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const CURL = 'curl/8.5.0';

/**
 * The stats straight from the `clicks` table, as they were computed before the daily rollups
 * (count(distinct) of visitor hashes over the window: hashes differ across days, so it agrees
 * with a per-day count).
 */
async function rawStats(db: Database, linkId: string, since: Date) {
  const inWindow = and(eq(clicks.linkId, linkId), gte(clicks.clickedAt, since));
  const humans = and(inWindow, not(clicks.isBot));
  const count = sql<number>`count(*)`.mapWith(Number);
  const [totals] = await db
    .select({
      clicks: sql<number>`count(*) filter (where not ${clicks.isBot})`.mapWith(Number),
      uniqueVisitors:
        sql<number>`count(distinct ${clicks.visitorHash}) filter (where not ${clicks.isBot})`.mapWith(
          Number,
        ),
      bots: sql<number>`count(*) filter (where ${clicks.isBot})`.mapWith(Number),
    })
    .from(clicks)
    .where(inWindow);
  const day = sql<string>`to_char(${clicks.clickedAt} at time zone 'UTC', 'YYYY-MM-DD')`;
  const daily = await db
    .select({ date: day, clicks: count })
    .from(clicks)
    .where(humans)
    .groupBy(day)
    .orderBy(day);
  const top = (dimension: 'referrerHost' | 'browser' | 'os' | 'device') => {
    const column = clicks[dimension];
    return db
      .select({ value: column, clicks: count })
      .from(clicks)
      .where(humans)
      .groupBy(column)
      .orderBy(desc(count), sql`${column} asc nulls last`)
      .limit(10);
  };
  return {
    ...totals,
    daily,
    referrers: await top('referrerHost'),
    browsers: await top('browser'),
    os: await top('os'),
    devices: await top('device'),
  };
}

function isErrorCode(code: string) {
  return (error: unknown) => error instanceof AppError && error.code === code;
}

await describeEachDatabase('link stats', (backend) => {
  let database: TestDatabase;
  let stats: StatsService;
  let links: LinksService;
  let owner: UserFixture;
  let link: Link;

  before(async () => {
    database = await createTestDatabase(backend);
    const { db } = database.handle;
    ({ links } = createLinksModule({
      db,
      siteUrl: 'https://hop.example',
      allowedHosts: [],
      defaultRedirectStatus: 302,
    }));
    stats = createStatsService({
      links,
      repository: createStatsRepository(db),
      now: () => new Date('2030-03-10T15:00:00Z'),
    });
    owner = await createUser(db);
    link = await links.create(owner.id, { url: 'https://example.com/' });
    const writer = createClickWriter({
      repository: createClicksRepository(db),
      ipMode: 'anonymize',
      secretKey: new Secret('s'.repeat(50)),
    });
    const click = (at: string, userAgent: string, ip: string, referrer: string | null) => ({
      eventId: randomUUID(),
      linkId: link.id,
      clickedAt: Date.parse(at),
      userAgent,
      ip,
      referrer,
    });
    await writer.write([
      click('2030-03-10T09:00:00Z', FIREFOX, '198.51.100.1', 'https://social.example/a'),
      click('2030-03-10T10:00:00Z', FIREFOX, '198.51.100.1', 'https://social.example/b'),
      click('2030-03-10T11:00:00Z', IPHONE, '198.51.100.2', null),
      click('2030-03-08T12:00:00Z', FIREFOX, '198.51.100.1', 'https://news.example/'),
      click('2030-03-10T12:00:00Z', GOOGLEBOT, '66.249.66.1', 'https://spam.example/'),
      click('2030-03-10T13:00:00Z', GOOGLEBOT, '66.249.66.1', 'https://spam.example/'),
      // Before the 30-day window (which starts 2030-02-09).
      click('2030-02-08T23:59:59Z', IPHONE, '198.51.100.3', 'https://old.example/'),
    ]);
  });
  after(() => database.drop());

  test('headline numbers leave bots out and count them apart', async () => {
    const result = await stats.stats(owner.id, link.id);
    assert.equal(result.days, 30);
    assert.deepEqual(result.since, new Date('2030-02-09T00:00:00Z'));
    assert.equal(result.clicks, 4);
    // Visitor hashes are daily: the Firefox visitor on the 8th and on the 10th counts twice.
    assert.equal(result.uniqueVisitors, 3);
    assert.equal(result.bots, 2);
  });

  test('the daily series is zero-filled, oldest first, bots excluded', async () => {
    const { daily } = await stats.stats(owner.id, link.id);
    assert.equal(daily.length, 30);
    assert.deepEqual(daily[0], { date: '2030-02-09', clicks: 0 });
    assert.deepEqual(daily.at(-1), { date: '2030-03-10', clicks: 3 });
    assert.deepEqual(daily.at(-3), { date: '2030-03-08', clicks: 1 });
    assert.equal(
      daily.reduce((sum, day) => sum + day.clicks, 0),
      4,
    );
    const dates = daily.map((day) => day.date);
    assert.deepEqual(dates, [...dates].sort());
    assert.equal(new Set(dates).size, 30);
  });

  test('top lists leave bots out; no referrer counts as null', async () => {
    const result = await stats.stats(owner.id, link.id);
    assert.deepEqual(result.referrers, [
      { value: 'social.example', clicks: 2 },
      { value: 'news.example', clicks: 1 },
      { value: null, clicks: 1 },
    ]);
    assert.deepEqual(result.browsers, [
      { value: 'Firefox', clicks: 3 },
      { value: 'Mobile Safari', clicks: 1 },
    ]);
    assert.deepEqual(result.os, [
      { value: 'Windows', clicks: 3 },
      { value: 'iOS', clicks: 1 },
    ]);
    assert.deepEqual(result.devices, [
      { value: 'desktop', clicks: 3 },
      { value: 'mobile', clicks: 1 },
    ]);
  });

  test('recent clicks: newest first, bots shown flagged', async () => {
    const { recent } = await stats.stats(owner.id, link.id);
    assert.equal(recent.length, 6);
    assert.deepEqual(recent[0], {
      clickedAt: new Date('2030-03-10T13:00:00Z'),
      referrerHost: 'spam.example',
      browser: null,
      os: null,
      device: null,
      isBot: true,
    });
    assert.deepEqual(
      recent.map((click) => click.clickedAt.toISOString()),
      [
        '2030-03-10T13:00:00.000Z',
        '2030-03-10T12:00:00.000Z',
        '2030-03-10T11:00:00.000Z',
        '2030-03-10T10:00:00.000Z',
        '2030-03-10T09:00:00.000Z',
        '2030-03-08T12:00:00.000Z',
      ],
    );
  });

  test('a shorter window counts only its days; at most 20 recent clicks', async () => {
    const week = await stats.stats(owner.id, link.id, 2);
    assert.deepEqual(
      week.daily.map((day) => day.date),
      ['2030-03-09', '2030-03-10'],
    );
    assert.equal(week.clicks, 3);
    assert.equal(week.bots, 2);

    const busy = await links.create(owner.id, { url: 'https://example.com/busy' });
    const writer = createClickWriter({
      repository: createClicksRepository(database.handle.db),
      ipMode: 'none',
      secretKey: new Secret('s'.repeat(50)),
    });
    await writer.write(
      Array.from({ length: 25 }, (_, i) => ({
        eventId: randomUUID(),
        linkId: busy.id,
        clickedAt: Date.parse('2030-03-10T00:00:00Z') + i * 1_000,
        userAgent: FIREFOX,
        ip: `198.51.100.${i}`,
        referrer: null,
      })),
    );
    const result = await stats.stats(owner.id, busy.id);
    assert.equal(result.clicks, 25);
    assert.equal(result.uniqueVisitors, 25);
    assert.equal(result.recent.length, 20);
    assert.deepEqual(
      result.recent[0]?.clickedAt,
      new Date(Date.parse('2030-03-10T00:00:00Z') + 24_000),
    );
  });

  test('a link without clicks has zeros everywhere', async () => {
    const quiet = await links.create(owner.id, { url: 'https://example.com/quiet' });
    const result = await stats.stats(owner.id, quiet.id, 7);
    assert.deepEqual(
      { clicks: result.clicks, uniqueVisitors: result.uniqueVisitors, bots: result.bots },
      { clicks: 0, uniqueVisitors: 0, bots: 0 },
    );
    assert.deepEqual(
      result.daily.map((day) => day.clicks),
      [0, 0, 0, 0, 0, 0, 0],
    );
    assert.deepEqual(
      [result.referrers, result.browsers, result.os, result.devices, result.recent],
      [[], [], [], [], []],
    );
  });

  test('another owner gets NotFoundError; days outside 1–365 are refused', async () => {
    const stranger = await createUser(database.handle.db);
    await assert.rejects(stats.stats(stranger.id, link.id), isErrorCode('not_found'));
    await assert.rejects(stats.stats(owner.id, 'nope'), isErrorCode('not_found'));
    for (const days of [0, 366, 1.5, Number.NaN]) {
      await assert.rejects(stats.stats(owner.id, link.id, days), isErrorCode('validation_failed'));
    }
  });

  test("clickCounts: all-time human clicks per link in one call, only the owner's", async () => {
    const quiet = await links.create(owner.id, { url: 'https://example.com/counted-quiet' });
    const counts = await stats.clickCounts(owner.id, [link.id, quiet.id]);
    // Five human clicks in all (one before the 30-day window); the two Googlebot clicks are left out.
    assert.deepEqual(
      [...counts],
      [
        [link.id, 5],
        [quiet.id, 0],
      ],
    );
    const stranger = await createUser(database.handle.db);
    assert.deepEqual([...(await stats.clickCounts(stranger.id, [link.id]))], [[link.id, 0]]);
    assert.equal((await stats.clickCounts(owner.id, [])).size, 0);
  });

  test('every number equals the answer from the raw clicks, for any window', async () => {
    const mixed = await links.create(owner.id, { url: 'https://example.com/mixed' });
    const agents = [FIREFOX, IPHONE, CHROME, GOOGLEBOT, CURL, null, FIREFOX, IPHONE];
    const batch = Array.from({ length: 900 }, (_, i) => ({
      eventId: randomUUID(),
      linkId: mixed.id,
      // 40 days back from "today" (2030-03-10) and one click tomorrow, at varied hours.
      clickedAt: Date.parse('2030-03-11T06:00:00Z') - (i % 41) * 86_400_000 - (i % 23) * 3_600_000,
      userAgent: agents[i % agents.length] ?? null,
      // Few addresses: the same visitor comes back within a day and on other days.
      ip: `198.51.100.${i % 13}`,
      referrer:
        i % 4 === 0
          ? null
          : i % 9 === 0
            ? 'ftp://files.example/'
            : `https://site${i % 14}.example/p`,
    }));
    const writer = createClickWriter({
      repository: createClicksRepository(database.handle.db),
      ipMode: 'anonymize',
      secretKey: new Secret('s'.repeat(50)),
    });
    // Delivered in overlapping batches, as a retried job would.
    assert.equal(await writer.write(batch.slice(0, 500)), 500);
    assert.equal(await writer.write(batch.slice(300)), 400);

    for (const days of [1, 2, 7, 30, 365]) {
      const result = await stats.stats(owner.id, mixed.id, days);
      const raw = await rawStats(database.handle.db, mixed.id, result.since);
      assert.deepEqual(
        {
          clicks: result.clicks,
          uniqueVisitors: result.uniqueVisitors,
          bots: result.bots,
          daily: result.daily.filter((day) => day.clicks > 0),
          referrers: result.referrers,
          browsers: result.browsers,
          os: result.os,
          devices: result.devices,
        },
        { ...raw, daily: raw.daily.filter((day) => day.date <= '2030-03-10') },
        `the last ${days} day(s)`,
      );
      if (days === 30) {
        // The dataset really has what it is meant to test.
        assert.ok(result.bots > 0 && result.uniqueVisitors < result.clicks);
        assert.equal(result.referrers.length, 10);
        assert.ok(result.referrers.some((referrer) => referrer.value === null));
      }
    }
  });
});
