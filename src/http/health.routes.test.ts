import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createContainer } from '#src/container.ts';
import { buildServer } from '#src/http/build-server.ts';
import { loadSettings } from '#src/settings/index.ts';
import {
  createTestDatabase,
  POSTGRES_ADMIN_URL,
  postgresReachable,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { LogCollector } from '#test/helpers/log-collector.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';

describe('health endpoints', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  test('/healthz answers 200 and is never cached', async () => {
    const response = await t.app.inject({ url: '/healthz', headers: { host: 'localhost' } });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  test('/readyz reports each dependency', async () => {
    const response = await t.app.inject({ url: '/readyz', headers: { host: 'localhost' } });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok', checks: { database: 'ok' } });
    assert.equal(response.headers['cache-control'], 'no-store');
  });
});

/** Refuses (or allows again) new connections to `database`, and ends the open ones. */
async function setConnectable(database: string, allowed: boolean): Promise<void> {
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`alter database ${database} allow_connections ${String(allowed)}`);
    if (!allowed) {
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1',
        [database],
      );
    }
  } finally {
    await admin.end();
  }
}

await describe(
  '/readyz while the database is unreachable',
  (await postgresReachable()) ? {} : { skip: 'PostgreSQL is not reachable' },
  () => {
    let database: TestDatabase;
    let name = '';
    before(async () => {
      database = await createTestDatabase('postgres');
      name = new URL(database.url ?? '').pathname.slice(1);
    });
    after(async () => {
      await setConnectable(name, true);
      await database.drop();
    });

    test('answers 503 unavailable, logs it once, and 200 again once it is back', async () => {
      const loaded = loadSettings({
        env: { NODE_ENV: 'test', LOG_LEVEL: 'info' },
        envFile: '/nonexistent/.env',
        persistDevSecret: false,
      });
      const logs = new LogCollector();
      const container = await createContainer(loaded.settings, {
        logDestination: logs,
        database: database.handle,
      });
      const app = buildServer(container);
      try {
        await app.ready();
        const ready = () => app.inject({ url: '/readyz', headers: { host: 'localhost' } });
        assert.equal((await ready()).statusCode, 200);

        await setConnectable(name, false);
        for (let probe = 0; probe < 3; probe += 1) {
          const response = await ready();
          assert.equal(response.statusCode, 503, response.body);
          assert.deepEqual(response.json(), {
            status: 'unavailable',
            checks: { database: 'failing' },
          });
        }
        const warnings = logs.entries().filter((entry) => entry.dependency === 'database');
        assert.equal(warnings.length, 1, logs.text);
        assert.equal(warnings[0]?.readiness, 'unavailable');

        await setConnectable(name, true);
        const back = await ready();
        assert.equal(back.statusCode, 200, back.body);
        assert.deepEqual(back.json(), { status: 'ok', checks: { database: 'ok' } });
        assert.match(logs.text, /readiness: database answers again/);
      } finally {
        await app.close();
        await container.close();
      }
    });
  },
);
