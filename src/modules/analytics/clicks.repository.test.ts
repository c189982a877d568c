import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { eq, sql } from 'drizzle-orm';
import { rawRows, type Database } from '#src/db/client.ts';
import { applyMigrations, loadMigrations } from '#src/db/migrator.ts';
import { clickDaily, clickDailyValues, clicks, links } from '#src/db/schema.ts';
import { createLink } from '#test/factories.ts';
import {
  createTestDatabase,
  describeEachDatabase,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { createClicksRepository, type ClickValues } from './clicks.repository.ts';

const DAY_MS = 86_400_000;
const DIMENSIONS = [
  ['referrer_host', 'referrerHost'],
  ['browser', 'browser'],
  ['os', 'os'],
  ['device', 'device'],
] as const;

/**
 * `count` clicks of one link over several UTC days, deterministic and varied: bots, no referrer,
 * unknown browsers, a few visitors coming back the same day and on other days, clicks just either
 * side of midnight, and some without a visitor hash.
 */
function mixedClicks(linkId: string, count: number, firstDay = '2030-03-01'): ClickValues[] {
  const start = Date.parse(`${firstDay}T00:00:00Z`);
  const referrers = ['social.example', 'news.example', null, 'mail.example', null];
  const agents = [
    { browser: 'Firefox', os: 'Windows', device: 'desktop' },
    { browser: 'Mobile Safari', os: 'iOS', device: 'mobile' },
    { browser: null, os: 'Linux', device: 'desktop' },
    { browser: null, os: null, device: null },
  ];
  return Array.from({ length: count }, (_, i) => {
    const agent = agents[i % agents.length] ?? agents[0]!;
    const host = referrers[(i * 7) % referrers.length] ?? null;
    // A second either side of midnight for some: the rollups must split days in UTC.
    const offset = i % 6 === 0 ? DAY_MS - 1_000 + (i % 12) * 400 : (i * 3_600_000) % DAY_MS;
    return {
      eventId: randomUUID(),
      linkId,
      clickedAt: new Date(start + (i % 9) * DAY_MS + offset),
      referrer: host ? `https://${host}/post/${i}` : null,
      referrerHost: host,
      ...agent,
      isBot: i % 5 === 0,
      ip: null,
      // Seven visitors, the same hash on every day (worst case: real hashes differ per day).
      visitorHash: i % 11 === 0 ? null : `visitor-${i % 7}`,
    };
  });
}

type ClickRow = typeof clicks.$inferSelect;
const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/** What the rollups of a link should hold, worked out from its raw clicks. */
function rollupsOf(rows: readonly ClickRow[]) {
  const daily = new Map<string, { clicks: number; bots: number; visitors: Set<string> }>();
  const values = new Map<string, number>();
  for (const row of rows) {
    const day = utcDay(row.clickedAt);
    const entry = daily.get(day) ?? { clicks: 0, bots: 0, visitors: new Set<string>() };
    daily.set(day, entry);
    if (row.isBot) {
      entry.bots += 1;
      continue;
    }
    entry.clicks += 1;
    if (row.visitorHash !== null) entry.visitors.add(row.visitorHash);
    for (const [dimension, field] of DIMENSIONS) {
      const key = JSON.stringify([dimension, day, row[field]]);
      values.set(key, (values.get(key) ?? 0) + 1);
    }
  }
  return {
    daily: [...daily]
      .map(([day, entry]) => ({
        day,
        clicks: entry.clicks,
        bots: entry.bots,
        visitors: entry.visitors.size,
      }))
      .sort((a, b) => a.day.localeCompare(b.day)),
    values: [...values].map(([key, count]) => `${key}=${count}`).sort(),
  };
}

async function storedRollupsOf(db: Database, linkId: string) {
  const daily = await db
    .select({
      day: clickDaily.day,
      clicks: clickDaily.clicks,
      bots: clickDaily.bots,
      visitors: clickDaily.visitors,
    })
    .from(clickDaily)
    .where(eq(clickDaily.linkId, linkId));
  const values = await db
    .select()
    .from(clickDailyValues)
    .where(eq(clickDailyValues.linkId, linkId));
  return {
    daily: daily.sort((a, b) => a.day.localeCompare(b.day)),
    values: values
      .map((row) => `${JSON.stringify([row.dimension, row.day, row.value])}=${row.clicks}`)
      .sort(),
  };
}

async function clicksOf(db: Database, linkId: string): Promise<ClickRow[]> {
  return db.select().from(clicks).where(eq(clicks.linkId, linkId));
}

async function assertRollupsMatchClicks(db: Database, linkId: string): Promise<void> {
  assert.deepEqual(await storedRollupsOf(db, linkId), rollupsOf(await clicksOf(db, linkId)));
}

await describeEachDatabase('clicks repository', (backend) => {
  let database: TestDatabase;
  let db: Database;
  let repository: ReturnType<typeof createClicksRepository>;

  before(async () => {
    database = await createTestDatabase(backend);
    db = database.handle.db;
    repository = createClicksRepository(db);
  });
  after(() => database.drop());

  test('the daily rollups hold exactly what the stored clicks say', async () => {
    const link = await createLink(db);
    const all = mixedClicks(link.id, 400);
    assert.equal(await repository.insertMany(all.slice(0, 150)), 150);
    assert.equal(await repository.insertMany(all.slice(150)), 250);
    await assertRollupsMatchClicks(db, link.id);
    const stored = await storedRollupsOf(db, link.id);
    // The dataset is what it claims: several days, bots, visitors back on one day, no referrer.
    assert.ok(stored.daily.length >= 9);
    assert.ok(stored.daily.every((day) => day.bots > 0 && day.visitors < day.clicks));
    assert.ok(
      stored.values.some((value) => value.startsWith('["referrer_host","2030-03-01",null]')),
    );
  });

  test('a redelivered batch inserts nothing and counts nothing twice', async () => {
    const link = await createLink(db);
    const batch = mixedClicks(link.id, 60);
    assert.equal(await repository.insertMany(batch), 60);
    const once = await storedRollupsOf(db, link.id);
    assert.equal(await repository.insertMany(batch), 0);
    assert.equal(await repository.insertMany([...batch].reverse()), 0);
    assert.deepEqual(await storedRollupsOf(db, link.id), once);
    await assertRollupsMatchClicks(db, link.id);
  });

  test('two overlapping batches, even at the same time, count each click once', async () => {
    const link = await createLink(db);
    const all = mixedClicks(link.id, 3_000);
    // Over three insert statements each, sharing a thousand clicks.
    const [first, second] = await Promise.all([
      repository.insertMany(all.slice(0, 2_000)),
      repository.insertMany(all.slice(1_000)),
    ]);
    assert.equal(first + second, 3_000);
    assert.equal((await clicksOf(db, link.id)).length, 3_000);
    await assertRollupsMatchClicks(db, link.id);
  });

  test('eight batches of one link at once, sharing clicks and visitors, each click counted once', async () => {
    const link = await createLink(db);
    const all = mixedClicks(link.id, 900);
    // Overlapping slices, half of them reversed: statements on their own sort what they lock,
    // so no order of arrival can deadlock them.
    const batches = Array.from({ length: 8 }, (_, index) => {
      const slice = all.slice(index * 100, index * 100 + 200);
      return index % 2 === 0 ? slice : slice.reverse();
    });
    const inserted = await Promise.all(batches.map((batch) => repository.insertMany(batch)));
    assert.equal(
      inserted.reduce((sum, count) => sum + count, 0),
      900,
    );
    assert.equal((await clicksOf(db, link.id)).length, 900);
    await assertRollupsMatchClicks(db, link.id);
  });

  test('a link deleted while its batches are written keeps no click and no rollup', async () => {
    const link = await createLink(db);
    const all = mixedClicks(link.id, 1_200);
    await Promise.all([
      ...[0, 1, 2].map((index) => repository.insertMany(all.slice(index * 400, index * 400 + 400))),
      db.delete(links).where(eq(links.id, link.id)),
      repository.insertMany(mixedClicks(link.id, 50)),
    ]);
    assert.equal((await clicksOf(db, link.id)).length, 0);
    assert.deepEqual(await storedRollupsOf(db, link.id), { daily: [], values: [] });
  });

  test(
    'two batches of one link take turns, never deadlock, and count each click once',
    { skip: backend === 'pglite' && 'PGlite runs one transaction at a time' },
    async () => {
      const link = await createLink(db);
      const [first, shared, last] = [0, 1, 2].map(() => mixedClicks(link.id, 30)) as [
        ClickValues[],
        ClickValues[],
        ClickValues[],
      ];
      const blockedWriters = async () => {
        const [row] = await database.handle.withConnection((connection) =>
          connection.query<{ waiting: number }>(
            `select count(*)::int as waiting from pg_stat_activity
             where datname = current_database() and wait_event_type = 'Lock'`,
          ),
        );
        return row?.waiting ?? 0;
      };
      let other: Promise<number> | undefined;
      await db.transaction(async (tx) => {
        // This batch now holds the link, and its rollup rows, until it commits.
        await repository.insertMany(first, tx);
        other = repository.insertMany(shared);
        while ((await blockedWriters()) === 0) await setTimeout(5);
        // Without turns, the other batch would hold `shared` and wait for our rollup rows
        // while we wait for its `shared`: PostgreSQL would abort one of the two.
        assert.equal(await repository.insertMany([...shared, ...last], tx), 60);
      });
      assert.equal(await other, 0);
      assert.equal((await clicksOf(db, link.id)).length, 90);
      await assertRollupsMatchClicks(db, link.id);
    },
  );

  test('a visitor already counted that day is not counted again by a later batch', async () => {
    const link = await createLink(db);
    const click = (at: string, visitorHash: string): ClickValues => ({
      ...mixedClicks(link.id, 1)[0]!,
      eventId: randomUUID(),
      clickedAt: new Date(at),
      isBot: false,
      visitorHash,
    });
    await repository.insertMany([click('2030-04-01T08:00:00Z', 'a')]);
    await repository.insertMany([
      click('2030-04-01T09:00:00Z', 'a'),
      click('2030-04-01T10:00:00Z', 'b'),
      click('2030-04-02T10:00:00Z', 'a'),
    ]);
    assert.deepEqual((await storedRollupsOf(db, link.id)).daily, [
      { day: '2030-04-01', clicks: 3, bots: 0, visitors: 2 },
      { day: '2030-04-02', clicks: 1, bots: 0, visitors: 1 },
    ]);
  });

  test('clicks of a deleted link are skipped; deleting a link removes its rollups', async () => {
    const kept = await createLink(db);
    const deleted = await createLink(db);
    await db.delete(links).where(eq(links.id, deleted.id));
    const batch = [...mixedClicks(deleted.id, 10), ...mixedClicks(kept.id, 10)];
    assert.equal(await repository.insertMany(batch), 10);
    assert.equal((await clicksOf(db, deleted.id)).length, 0);
    assert.deepEqual(await storedRollupsOf(db, deleted.id), { daily: [], values: [] });
    await assertRollupsMatchClicks(db, kept.id);

    await db.delete(links).where(eq(links.id, kept.id));
    assert.deepEqual(await storedRollupsOf(db, kept.id), { daily: [], values: [] });
  });

  test("inside a caller's transaction that rolls back, neither clicks nor rollups remain", async () => {
    const link = await createLink(db);
    await assert.rejects(
      db.transaction(async (tx) => {
        assert.equal(await repository.insertMany(mixedClicks(link.id, 20), tx), 20);
        throw new Error('the rest of the work failed');
      }),
      /the rest of the work failed/,
    );
    assert.equal((await clicksOf(db, link.id)).length, 0);
    assert.deepEqual(await storedRollupsOf(db, link.id), { daily: [], values: [] });
  });
});

/** A user and a link written with the columns of migration 0000 alone. */
async function linkOnInitialSchema(db: Database): Promise<{ id: string }> {
  const name = `early_${randomUUID().slice(0, 8)}`;
  const [user] = await rawRows<{ id: string }>(
    db,
    sql`insert into users (email, username, password_hash)
        values (${`${name}@example.com`}, ${name}, 'not a hash') returning id`,
  );
  const [link] = await rawRows<{ id: string }>(
    db,
    sql`insert into links (owner_id, code, target_url)
        values (${user?.id}, ${name}, 'https://example.com/') returning id`,
  );
  assert.ok(link);
  return link;
}

await describeEachDatabase('click rollups migration', (backend) => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase(backend, { migrate: false });
  });
  after(() => database.drop());

  test('fills the rollups from the clicks stored before it, then keeps them up', async () => {
    const migrations = loadMigrations();
    const initial = migrations.filter((migration) => migration.name === '0000_initial');
    assert.deepEqual(await applyMigrations(database.handle, undefined, initial), ['0000_initial']);
    const { db } = database.handle;
    const repository = createClicksRepository(db);
    // The factories write today's columns; this database has the first migration's only.
    const link = await linkOnInitialSchema(db);
    const other = await linkOnInitialSchema(db);
    const earlier = mixedClicks(link.id, 500);
    await repository.insertMany([...earlier, ...mixedClicks(other.id, 50)]);

    const applied = await applyMigrations(database.handle, undefined, migrations);
    assert.ok(applied.includes('0002_click_rollups_trigger'), applied.join(', '));
    await assertRollupsMatchClicks(db, link.id);
    await assertRollupsMatchClicks(db, other.id);

    // Visitors of the filled days stay counted once when later clicks land on those days.
    const later = mixedClicks(link.id, 200, '2030-03-05');
    assert.equal(await repository.insertMany([...earlier.slice(0, 100), ...later]), 200);
    await assertRollupsMatchClicks(db, link.id);
  });
});
