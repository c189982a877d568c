import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type DatabaseHandle } from '#src/db/client.ts';
import { applyMigrations } from '#src/db/migrator.ts';
import { clickDaily, clicks } from '#src/db/schema.ts';
import { createClicksRepository } from '#src/modules/analytics/clicks.repository.ts';
import { createLink } from '#test/factories.ts';
import { runInProcess, showRun } from '#test/helpers/cli.ts';
import { seededDataDir } from '#test/helpers/pglite-template.ts';

const DAY_MS = 86_400_000;

describe('hoplink retention (embedded database)', () => {
  const dataDir = seededDataDir('hoplink-retention-');
  const env = {
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    CLICK_RETENTION_DAYS: '30',
  };
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The command's database, opened while no command runs (PGlite has one user at a time). */
  async function withDatabase<T>(work: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
    const handle = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'db') });
    try {
      return await work(handle);
    } finally {
      await handle.close();
    }
  }

  before(async () => {
    await withDatabase(async (handle) => {
      await applyMigrations(handle);
      const link = await createLink(handle.db);
      const daysAgo = (days: number) => ({
        eventId: randomUUID(),
        linkId: link.id,
        clickedAt: new Date(Date.now() - days * DAY_MS),
        visitorHash: `visitor-${days}`,
      });
      await createClicksRepository(handle.db).insertMany([
        daysAgo(90),
        daysAgo(60),
        daysAgo(45),
        daysAgo(1),
      ]);
    });
  });

  /** Raw clicks left, and the clicks the daily counts hold. */
  const counts = () =>
    withDatabase(async ({ db }) => ({
      clicks: (await db.select().from(clicks)).length,
      daily: (await db.select().from(clickDaily)).reduce((sum, row) => sum + row.clicks, 0),
    }));

  test('--dry-run counts what would go and deletes nothing', async () => {
    const run = await runInProcess(['retention', '--dry-run'], { env });
    assert.equal(run.code, 0, showRun(run));
    assert.match(
      run.stdout,
      /^Clicks from before \d{4}-\d{2}-\d{2} and visitor hashes from before \d{4}-\d{2}-\d{2} \(UTC\) would go; daily counts stay\.$/m,
    );
    assert.match(run.stdout, /^ {2}clicks: 100% of the table walked, 3 found$/m);
    assert.match(
      run.stdout,
      /^Would delete 3 clicks and \d+ visitor hashes \(\d+ statements, [\d.]+ s\)\.$/m,
    );
    assert.equal((await counts()).clicks, 4);
  });

  test('deletes the old clicks with progress lines; the daily counts stay; a second run finds none', async () => {
    const before = await counts();
    const run = await runInProcess(['retention'], { env });
    assert.equal(run.code, 0, showRun(run));
    assert.match(run.stdout, /^ {2}visitor hashes: 100% of the table walked, \d+ deleted$/m);
    assert.match(run.stdout, /^ {2}clicks: 100% of the table walked, 3 deleted$/m);
    assert.match(run.stdout, /^Deleted 3 clicks and \d+ visitor hashes/m);
    assert.deepEqual(await counts(), { clicks: 1, daily: before.daily });

    const again = await runInProcess(['retention'], { env });
    assert.equal(again.code, 0, showRun(again));
    assert.match(again.stdout, /^Deleted 0 clicks and 0 visitor hashes \(0 statements/m);
  });

  test('kept forever (CLICK_RETENTION_DAYS=0): says so and deletes no click', async () => {
    const run = await runInProcess(['retention'], { env: { ...env, CLICK_RETENTION_DAYS: '0' } });
    assert.equal(run.code, 0, showRun(run));
    assert.match(run.stdout, /^CLICK_RETENTION_DAYS is 0: clicks are kept forever\./m);
    assert.match(run.stdout, /^Deleted 0 clicks/m);
  });

  test('an unknown flag is a usage error (exit 2)', async () => {
    const run = await runInProcess(['retention', '--dry'], { env });
    assert.equal(run.code, 2, showRun(run));
    assert.match(run.stderr, /unknown flag "--dry" for retention\. Did you mean "--dry-run"\?/);
  });
});
