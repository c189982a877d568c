import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { asc, eq } from 'drizzle-orm';
import { clicks, links } from '#src/db/schema.ts';
import { Secret } from '#src/lib/secret.ts';
import { createLink } from '#test/factories.ts';
import {
  createTestDatabase,
  describeEachDatabase,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { createBatchingClickSink } from './batching-click-sink.ts';
import type { RawClick } from './click-sink.ts';
import { createClickWriter } from './click-writer.ts';
import { createClicksRepository } from './clicks.repository.ts';
import type { ClickIpMode } from './ip-address.ts';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const noLogs = { warn: () => undefined, error: () => undefined };

await describeEachDatabase('click writer', (backend) => {
  let database: TestDatabase;
  const secretKey = new Secret('s'.repeat(50));

  const writer = (ipMode: ClickIpMode = 'anonymize') =>
    createClickWriter({
      repository: createClicksRepository(database.handle.db),
      ipMode,
      secretKey,
    });

  function raw(linkId: string, overrides: Partial<RawClick> = {}): RawClick {
    return {
      eventId: randomUUID(),
      linkId,
      clickedAt: Date.parse('2030-03-04T10:00:00Z'),
      referrer: 'https://social.example/feed',
      userAgent: FIREFOX,
      ip: '198.51.100.23',
      ...overrides,
    };
  }

  const rowsOf = (linkId: string) =>
    database.handle.db
      .select()
      .from(clicks)
      .where(eq(clicks.linkId, linkId))
      .orderBy(asc(clicks.clickedAt), asc(clicks.eventId));

  before(async () => {
    database = await createTestDatabase(backend);
  });
  after(() => database.drop());

  test('after a flush the rows exist, parsed; a crawler is flagged as a bot', async () => {
    const link = await createLink(database.handle.db);
    const sink = createBatchingClickSink({
      write: writer().write,
      logger: noLogs,
      maxBatch: 500,
      flushIntervalMs: 1_000,
    });
    sink.capture(
      raw(link.id, { userAgent: IPHONE, clickedAt: Date.parse('2030-03-04T10:00:00Z') }),
    );
    sink.capture(
      raw(link.id, {
        userAgent: GOOGLEBOT,
        referrer: null,
        clickedAt: Date.parse('2030-03-04T10:00:01Z'),
      }),
    );
    await sink.close();
    const [human, bot] = await rowsOf(link.id);
    assert.ok(human && bot);
    assert.deepEqual(
      { browser: human.browser, os: human.os, device: human.device, isBot: human.isBot },
      { browser: 'Mobile Safari', os: 'iOS', device: 'mobile', isBot: false },
    );
    assert.equal(human.referrer, 'https://social.example/feed');
    assert.equal(human.referrerHost, 'social.example');
    assert.deepEqual(human.clickedAt, new Date('2030-03-04T10:00:00Z'));
    assert.equal(bot.isBot, true);
    assert.equal(bot.referrerHost, null);
  });

  for (const [mode, ip, stored] of [
    ['anonymize', '198.51.100.23', '198.51.100.0'],
    ['anonymize', '2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['full', '198.51.100.23', '198.51.100.23'],
    ['none', '198.51.100.23', null],
  ] as const) {
    test(`CLICK_IP_MODE=${mode} stores ${ip} as ${String(stored)}`, async () => {
      const link = await createLink(database.handle.db);
      await writer(mode).write([raw(link.id, { ip })]);
      const [row] = await rowsOf(link.id);
      assert.ok(row);
      assert.equal(row.ip, stored);
      assert.match(row.visitorHash ?? '', /^[0-9a-f]{64}$/);
    });
  }

  test('the visitor hash is stable within a UTC day and changes the next day', async () => {
    const link = await createLink(database.handle.db);
    await writer().write([
      raw(link.id, { clickedAt: Date.parse('2030-03-04T00:00:00Z') }),
      raw(link.id, { clickedAt: Date.parse('2030-03-04T23:59:59Z') }),
      raw(link.id, { clickedAt: Date.parse('2030-03-05T00:00:00Z') }),
      raw(link.id, { clickedAt: Date.parse('2030-03-05T08:00:00Z'), ip: '198.51.100.24' }),
    ]);
    const [morning, night, nextDay, neighbour] = (await rowsOf(link.id)).map(
      (row) => row.visitorHash,
    );
    assert.equal(morning, night);
    assert.notEqual(nextDay, night);
    assert.notEqual(neighbour, nextDay, 'same /24, another visitor');
  });

  test('a redelivered batch inserts nothing twice', async () => {
    const link = await createLink(database.handle.db);
    const batch = [raw(link.id), raw(link.id), raw(link.id)];
    assert.equal(await writer().write(batch), 3);
    assert.equal(await writer().write(batch), 0);
    assert.equal(await writer().write([...batch, raw(link.id)]), 1);
    assert.equal((await rowsOf(link.id)).length, 4);
  });

  test('clicks of a link deleted meanwhile are dropped without failing the batch', async () => {
    const kept = await createLink(database.handle.db);
    const deleted = await createLink(database.handle.db);
    await database.handle.db.delete(links).where(eq(links.id, deleted.id));
    assert.equal(await writer().write([raw(deleted.id), raw(kept.id)]), 1);
    assert.equal((await rowsOf(kept.id)).length, 1);
  });
});
