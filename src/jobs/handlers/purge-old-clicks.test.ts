import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { asc, eq } from 'drizzle-orm';
import { clickDaily, clickDailyVisitors, clicks } from '#src/db/schema.ts';
import { createClicksRepository } from '#src/modules/analytics/clicks.repository.ts';
import { createLink } from '#test/factories.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';

const DAY_MS = 86_400_000;

let t: TestApp;
before(async () => {
  t = await buildTestApp({ CLICK_RETENTION_DAYS: '7' });
});
after(() => t.close());

test('the scheduled job deletes clicks and visitor hashes past their retention, keeps the counts, logs what it did', async () => {
  const { db } = t.container.database;
  const link = await createLink(db);
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS);
  const click = (daysAgo: number, visitor: string) => ({
    eventId: randomUUID(),
    linkId: link.id,
    clickedAt: at(daysAgo),
    isBot: false,
    visitorHash: visitor,
  });
  await createClicksRepository(db).insertMany([
    click(20, 'a'),
    click(10, 'b'),
    click(9, 'c'),
    click(0, 'd'),
  ]);
  const daily = () =>
    db.select().from(clickDaily).where(eq(clickDaily.linkId, link.id)).orderBy(asc(clickDaily.day));
  const dailyBefore = await daily();

  // Eager in tests: the job runs inside enqueue, through the registry and its handler.
  await t.container.jobs.enqueue('purge-old-clicks', {});

  const left = await db.select().from(clicks).where(eq(clicks.linkId, link.id));
  assert.deepEqual(
    left.map((row) => row.visitorHash),
    ['d'],
  );
  const hashes = await db
    .select()
    .from(clickDailyVisitors)
    .where(eq(clickDailyVisitors.linkId, link.id));
  assert.deepEqual(
    hashes.map((row) => row.visitorHash),
    ['d'],
  );
  assert.deepEqual(await daily(), dailyBefore, 'the daily counts stay');
  const line = t.logs
    .entries()
    .find((entry) => entry.msg === 'purged old clicks and visitor hashes');
  assert.ok(line, 'one line reports the purge');
  assert.equal(line.clicks, 3);
  assert.equal(line.complete, true);
});
