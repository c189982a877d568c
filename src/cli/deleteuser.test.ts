import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { openDatabase, type Database } from '#src/db/client.ts';
import { clicks, links, sessions, users } from '#src/db/schema.ts';
import { createLink, createUser, type UserFixture } from '#test/factories.ts';
import { runInProcess, showRun } from '#test/helpers/cli.ts';
import { seedClicks } from '#test/helpers/export-fixtures.ts';
import { seededDataDir } from '#test/helpers/pglite-template.ts';

describe('hoplink deleteuser (embedded database)', () => {
  const dataDir = seededDataDir('hoplink-deleteuser-');
  const env = { NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Work on the embedded database while no command holds it (PGlite: one process at a time). */
  async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
    const handle = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'db') });
    try {
      return await work(handle.db);
    } finally {
      await handle.close();
    }
  }

  let doomed: UserFixture;
  let kept: UserFixture;
  let linkIds: string[];
  before(async () => {
    ({ doomed, kept, linkIds } = await withDatabase(async (db) => {
      const doomed = await createUser(db);
      const kept = await createUser(db);
      const made = [
        await createLink(db, { ownerId: doomed.id }),
        await createLink(db, { ownerId: doomed.id, slug: 'mine' }),
      ];
      await createLink(db, { ownerId: kept.id });
      await seedClicks(db, made[0]?.id ?? '', 10);
      await db.insert(sessions).values({
        userId: doomed.id,
        tokenHash: `hash-${doomed.id}`,
        csrfSecret: 'secret',
        expiresAt: new Date(Date.now() + 60_000),
      });
      return { doomed, kept, linkIds: made.map((link) => link.id) };
    }));
  });

  const rows = () =>
    withDatabase(async (db) => {
      const n = async (query: Promise<{ n: number }[]>) => (await query)[0]?.n ?? 0;
      return {
        doomed: await n(db.select({ n: count() }).from(users).where(eq(users.id, doomed.id))),
        kept: await n(db.select({ n: count() }).from(users).where(eq(users.id, kept.id))),
        links: await n(db.select({ n: count() }).from(links).where(eq(links.ownerId, doomed.id))),
        keptLinks: await n(db.select({ n: count() }).from(links).where(eq(links.ownerId, kept.id))),
        clicks: await n(
          db
            .select({ n: count() })
            .from(clicks)
            .where(eq(clicks.linkId, linkIds[0] ?? '')),
        ),
        sessions: await n(
          db.select({ n: count() }).from(sessions).where(eq(sessions.userId, doomed.id)),
        ),
      };
    });

  test('without a terminal, --yes is required: a usage error (exit 2), nothing deleted', async () => {
    const run = await runInProcess(['deleteuser', '--email', doomed.email], { env });
    assert.equal(run.code, 2, showRun(run));
    assert.equal(
      run.stderr,
      'hoplink: stdin is not a terminal, so nobody can be asked: pass --yes to delete without asking\n',
    );
    const missing = await runInProcess(['deleteuser', '--yes'], { env });
    assert.equal(missing.code, 2, showRun(missing));
    assert.match(missing.stderr, /deleteuser needs --email/);
    assert.deepEqual(await rows(), {
      doomed: 1,
      kept: 1,
      links: 2,
      keptLinks: 1,
      clicks: 10,
      sessions: 1,
    });
  });

  test('an unknown address is refused in one line (exit 1)', async () => {
    const run = await runInProcess(['deleteuser', '--email', 'nobody@example.com', '--yes'], {
      env,
    });
    assert.equal(run.code, 1, showRun(run));
    // After the development profile's own warnings (dev secret, in-process queue): one line.
    const said = run.stderr.split('\n').filter((line) => line.startsWith('hoplink:'));
    assert.deepEqual(said, ['hoplink: no account has the email address nobody@example.com']);
    assert.ok(run.stderr.endsWith(`${said[0] ?? ''}\n`), showRun(run));
    assert.equal(run.stdout, '');
  });

  test('--yes deletes the account and everything it owned, and nobody else’s', async () => {
    const run = await runInProcess(['deleteuser', '--email', doomed.email.toUpperCase(), '--yes'], {
      env,
    });
    assert.equal(run.code, 0, showRun(run));
    assert.equal(
      run.stdout,
      `Deleted the account ${doomed.username} <${doomed.email}>: 2 links stopped redirecting.\n`,
    );
    assert.deepEqual(await rows(), {
      doomed: 0,
      kept: 1,
      links: 0,
      keptLinks: 1,
      clicks: 0,
      sessions: 0,
    });
  });
});
