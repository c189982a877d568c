import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { asc, count, eq } from 'drizzle-orm';
import type { Database } from '#src/db/client.ts';
import { clickDaily, clickDailyValues, clickDailyVisitors, clicks } from '#src/db/schema.ts';
import { createLinksModule } from '#src/modules/links/index.ts';
import { createUser } from '#test/factories.ts';
import { createTestDatabase, describeEachDatabase, type Backend } from '#test/helpers/database.ts';
import { createClickRetentionRepository } from './click-retention.repository.ts';
import {
  createClickRetentionService,
  retentionStart,
  type ClickRetentionServiceDependencies,
} from './click-retention.service.ts';
import { createClicksRepository, type ClickValues } from './clicks.repository.ts';
import { createStatsRepository } from './stats.repository.ts';
import { createStatsService } from './stats.service.ts';

const NOW = new Date('2030-03-10T15:00:00Z');
const HOUR_MS = 3_600_000;
/** 30 days kept, today included: from 2030-02-09 at midnight UTC. */
const CLICK_CUTOFF = new Date('2030-02-09T00:00:00Z');
/** 2 days of visitor hashes kept: today and yesterday. */
const HASH_CUTOFF_DAY = '2030-03-09';

/** `n` clicks of `linkId`, one an hour back from `newest`, a few visitors, every fifth a bot. */
function clicksOf(linkId: string, newest: Date, n: number): ClickValues[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: randomUUID(),
    linkId,
    clickedAt: new Date(newest.getTime() - i * 7 * HOUR_MS),
    referrer: i % 2 === 0 ? 'https://news.example/post' : null,
    referrerHost: i % 2 === 0 ? 'news.example' : null,
    browser: ['Firefox', 'Chrome', 'Safari'][i % 3] ?? null,
    os: 'Linux',
    device: 'desktop',
    isBot: i % 5 === 4,
    ip: '203.0.113.0',
    visitorHash: `visitor-${i % 4}`,
  }));
}

interface Seeded {
  readonly db: Database;
  readonly ownerId: string;
  readonly linkId: string;
  readonly oldClicks: number;
  readonly recentClicks: number;
  readonly service: (
    overrides?: Partial<ClickRetentionServiceDependencies>,
  ) => ReturnType<typeof createClickRetentionService>;
  readonly stats: ReturnType<typeof createStatsService>;
  readonly close: () => Promise<void>;
}

/**
 * A fresh database with one link: `oldClicks` clicks before the 30-day cutoff (spread over
 * several days) and `recentClicks` after it, written as the worker writes them (the trigger
 * fills the rollups).
 */
async function seed(backend: Backend, oldClicks: number, recentClicks: number): Promise<Seeded> {
  const database = await createTestDatabase(backend);
  const { db } = database.handle;
  const { links } = createLinksModule({
    db,
    siteUrl: 'https://hop.example',
    allowedHosts: [],
    defaultRedirectStatus: 302,
  });
  const owner = await createUser(db);
  const link = await links.create(owner.id, { url: 'https://example.com/' });
  const repository = createClicksRepository(db);
  await repository.insertMany([
    ...clicksOf(link.id, new Date(CLICK_CUTOFF.getTime() - HOUR_MS), oldClicks),
    ...clicksOf(link.id, new Date(NOW.getTime() - HOUR_MS), recentClicks),
  ]);
  return {
    db,
    ownerId: owner.id,
    linkId: link.id,
    oldClicks,
    recentClicks,
    service: (overrides = {}) =>
      createClickRetentionService({
        repository: createClickRetentionRepository(db),
        clickRetentionDays: 30,
        visitorRetentionDays: 2,
        now: () => NOW,
        pauseMs: 0,
        ...overrides,
      }),
    stats: createStatsService({
      links,
      repository: createStatsRepository(db),
      now: () => NOW,
      clickRetentionDays: 30,
    }),
    close: () => database.drop(),
  };
}

/** Every rollup row of the link, in key order. */
async function rollups(db: Database, linkId: string) {
  return {
    daily: await db
      .select()
      .from(clickDaily)
      .where(eq(clickDaily.linkId, linkId))
      .orderBy(asc(clickDaily.day)),
    values: await db
      .select()
      .from(clickDailyValues)
      .where(eq(clickDailyValues.linkId, linkId))
      .orderBy(
        asc(clickDailyValues.dimension),
        asc(clickDailyValues.day),
        asc(clickDailyValues.value),
      ),
  };
}

const clickTimes = async (db: Database) =>
  (await db.select({ at: clicks.clickedAt }).from(clicks)).map((row) => row.at.getTime());

const hashDays = async (db: Database) =>
  [
    ...new Set(
      (await db.select({ day: clickDailyVisitors.day }).from(clickDailyVisitors)).map(
        (row) => row.day,
      ),
    ),
  ].sort();

test('retentionStart: the same first day as a stats window of as many days', () => {
  assert.deepEqual(retentionStart(NOW, 30), CLICK_CUTOFF);
  assert.deepEqual(retentionStart(NOW, 1), new Date('2030-03-10T00:00:00Z'));
  assert.deepEqual(
    retentionStart(new Date('2030-03-10T00:00:00Z'), 2),
    new Date('2030-03-09T00:00:00Z'),
  );
});

await describeEachDatabase('click retention', (backend) => {
  test('deletes clicks and visitor hashes older than kept; rollups, totals and charts stay the same', async () => {
    const seeded = await seed(backend, 40, 12);
    try {
      const { db, linkId } = seeded;
      const rollupsBefore = await rollups(db, linkId);
      const statsBefore = await seeded.stats.stats(seeded.ownerId, linkId, 365);
      const oldHashes = await db
        .select({ n: count() })
        .from(clickDailyVisitors)
        .where(eq(clickDailyVisitors.linkId, linkId));

      const report = await seeded.service().run();

      assert.equal(report.clicks.rows, 40);
      assert.deepEqual(report.clicks.cutoff, CLICK_CUTOFF);
      assert.ok(report.clicks.complete && report.visitorHashes.complete);
      const times = await clickTimes(db);
      assert.equal(times.length, 12, 'the recent clicks stay');
      assert.ok(times.every((at) => at >= CLICK_CUTOFF.getTime()));
      assert.deepEqual(await hashDays(db), [HASH_CUTOFF_DAY, '2030-03-10']);
      const hashesLeft = await db.select({ n: count() }).from(clickDailyVisitors);
      assert.equal(report.visitorHashes.rows, (oldHashes[0]?.n ?? 0) - (hashesLeft[0]?.n ?? 0));

      // The rollup trigger fires on insert only: deleting raw clicks leaves every count as it was.
      assert.deepEqual(await rollups(db, linkId), rollupsBefore);
      const statsAfter = await seeded.stats.stats(seeded.ownerId, linkId, 365);
      const { recent: recentBefore, ...countsBefore } = statsBefore;
      const { recent: recentAfter, ...countsAfter } = statsAfter;
      assert.deepEqual(countsAfter, countsBefore);
      assert.ok(
        countsAfter.clicks > 0 &&
          countsAfter.daily.some((entry) => entry.date < '2030-02-09' && entry.clicks > 0),
      );
      assert.ok(recentBefore.some((click) => click.clickedAt < CLICK_CUTOFF));
      assert.equal(recentAfter.length, 12);
      assert.ok(recentAfter.every((click) => click.clickedAt >= CLICK_CUTOFF));
      assert.deepEqual(
        statsAfter.recentSince,
        CLICK_CUTOFF,
        'the stats say how far back clicks go',
      );

      const again = await seeded.service().run();
      assert.equal(again.clicks.rows + again.visitorHashes.rows, 0, 'a second run finds nothing');
      assert.equal(
        again.clicks.statements + again.visitorHashes.statements,
        0,
        'and runs no delete',
      );
    } finally {
      await seeded.close();
    }
  });

  test('batches are bounded: 35 old clicks in batches of 10 take 4 statements of at most 10', async () => {
    const seeded = await seed(backend, 35, 3);
    try {
      const steps: number[] = [];
      let previous = 0;
      const report = await seeded.service({ batchSize: 10 }).run({
        onProgress: (progress) => {
          if (progress.table !== 'clicks') return;
          steps.push(progress.rows - previous);
          previous = progress.rows;
        },
      });
      assert.equal(report.clicks.rows, 35);
      assert.equal(report.clicks.statements, 4);
      assert.deepEqual(steps, [10, 10, 10, 5]);
      assert.equal((await clickTimes(seeded.db)).length, 3);
    } finally {
      await seeded.close();
    }
  });

  test('CLICK_RETENTION_DAYS=0 keeps every click; visitor hashes still go', async () => {
    const seeded = await seed(backend, 20, 5);
    try {
      const report = await seeded.service({ clickRetentionDays: 0 }).run();
      const { durationMs, ...clicksPart } = report.clicks;
      assert.ok(durationMs >= 0);
      assert.deepEqual(clicksPart, { cutoff: null, rows: 0, statements: 0, complete: true });
      assert.equal((await clickTimes(seeded.db)).length, 25);
      assert.ok(report.visitorHashes.rows > 0);
      assert.deepEqual(await hashDays(seeded.db), [HASH_CUTOFF_DAY, '2030-03-10']);
    } finally {
      await seeded.close();
    }
  });

  test('a dry run counts what would go and deletes nothing', async () => {
    const seeded = await seed(backend, 20, 5);
    try {
      const hashesBefore = await hashDays(seeded.db);
      const report = await seeded.service().run({ dryRun: true });
      assert.equal(report.dryRun, true);
      assert.equal(report.clicks.rows, 20);
      assert.ok(report.visitorHashes.rows > 0);
      assert.equal((await clickTimes(seeded.db)).length, 25);
      assert.deepEqual(await hashDays(seeded.db), hashesBefore);
    } finally {
      await seeded.close();
    }
  });

  test('a stopped run ends after its current batch; the next run deletes the rest', async () => {
    const seeded = await seed(backend, 30, 2);
    try {
      const stop = new AbortController();
      const stopped = await seeded.service({ batchSize: 10 }).run({
        signal: stop.signal,
        onProgress: (progress) => {
          if (progress.table === 'clicks') stop.abort();
        },
      });
      assert.equal(stopped.clicks.complete, false);
      assert.equal(stopped.clicks.rows, 10);
      assert.equal((await clickTimes(seeded.db)).length, 22);

      const resumed = await seeded.service({ batchSize: 10 }).run();
      assert.equal(resumed.clicks.complete, true);
      assert.equal(resumed.clicks.rows, 20);
      assert.equal((await clickTimes(seeded.db)).length, 2);
    } finally {
      await seeded.close();
    }
  });
});
