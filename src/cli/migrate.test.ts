import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadMigrations, MIGRATION_LOCK_ID, MIGRATION_LOCK_WAIT } from '#src/db/migrator.ts';
import { createLogger } from '#src/lib/logger.ts';
import {
  runInProcess,
  showRun as show,
  startInProcess,
  type CliRun as Run,
} from '#test/helpers/cli.ts';
import { POSTGRES_ADMIN_URL, postgresReachable } from '#test/helpers/database.ts';
import { until } from '#test/helpers/until.ts';
import { migrationProgress } from './migrate.ts';

const SECRET_KEY = randomBytes(48).toString('base64url');

const hoplink = (args: string[], env: Record<string, string>) => runInProcess(args, { env });

/** Production settings that pass every check; `DATABASE_URL` is the test's to give. */
const productionEnv = (databaseUrl: string) => ({
  NODE_ENV: 'production',
  SECRET_KEY,
  ALLOWED_HOSTS: 'hop.example.com',
  SITE_URL: 'https://hop.example.com',
  DATABASE_URL: databaseUrl,
  // Required in production; migrate never contacts them.
  REDIS_URL: 'redis://127.0.0.1:1',
  EMAIL_URL: 'smtp://127.0.0.1:1',
  LOG_FORMAT: 'json',
});

describe('hoplink migrate --check: pending (1) is not "could not tell" (3)', () => {
  // Port 1: nothing listens there.
  const unreachable = productionEnv('postgres://postgres@127.0.0.1:1/test');
  const said =
    'hoplink: cannot use the database "test" on 127.0.0.1:1: connection refused.\n  Check DATABASE_URL: is the PostgreSQL server running and listening on 127.0.0.1:1?\n';

  test('an unreachable database: its message, and 3 with --check, 1 without', async () => {
    const [check, apply] = await Promise.all([
      hoplink(['migrate', '--check'], unreachable),
      hoplink(['migrate'], unreachable),
    ]);
    assert.equal(check.code, 3, show(check));
    assert.equal(check.stderr, said, show(check));
    assert.equal(apply.code, 1, show(apply));
    assert.equal(apply.stderr, said, show(apply));
  });

  test('a configuration error: 3 with --check', async () => {
    const missingSecret: Record<string, string> = { ...unreachable };
    delete missingSecret.SECRET_KEY;
    const run = await hoplink(['migrate', '--check'], missingSecret);
    assert.equal(run.code, 3, show(run));
    assert.match(run.stderr, /SECRET_KEY/);
  });

  test('a usage error stays 2', async () => {
    const run = await hoplink(['migrate', '--check', 'now'], unreachable);
    assert.equal(run.code, 2, show(run));
  });
});

test('on a terminal each migration shows while it runs, then its name and duration', () => {
  let screen = '';
  const progress = migrationProgress(createLogger({ level: 'silent', format: 'json' }), {
    isTTY: true,
    write: (text: string) => (screen += text),
  });
  progress.waiting?.();
  progress.applying?.('0007_example');
  assert.equal(screen, `${MIGRATION_LOCK_WAIT}\napplying 0007_example…`);
  progress.applied?.('0007_example', 1_234);
  assert.equal(
    screen,
    `${MIGRATION_LOCK_WAIT}\napplying 0007_example…\r\x1b[2Kapplied 0007_example in 1.2 s\n`,
  );
});

describe('hoplink migrate on embedded PGlite', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hoplink-migrate-'));
  const env = { NODE_ENV: 'development', DATA_DIR: dataDir, LOG_FORMAT: 'json' };
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('--check fails on a new database, migrate applies, --check then passes', async () => {
    const pending = await hoplink(['migrate', '--check'], env);
    assert.equal(pending.code, 1, show(pending));
    assert.match(pending.stdout, /pending migrations/);
    const applied = await hoplink(['migrate'], env);
    assert.equal(applied.code, 0, show(applied));
    assert.match(applied.stdout, /"migration":"0000_initial".*"msg":"applied migration"/);
    const clean = await hoplink(['migrate', '--check'], env);
    assert.equal(clean.code, 0, show(clean));
  });
});

const postgres = await postgresReachable();
describe(
  'hoplink migrate and check --deploy on PostgreSQL',
  postgres ? {} : { skip: 'PostgreSQL is not reachable: start it (see .ci/run) to run this suite' },
  () => {
    const name = `hoplink_test_${randomBytes(6).toString('hex')}`;
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    const env = {
      NODE_ENV: 'production',
      SECRET_KEY,
      ALLOWED_HOSTS: 'hop.example.com',
      SITE_URL: 'https://hop.example.com',
      DATABASE_URL: url.toString(),
      // Required in production; neither command contacts them.
      REDIS_URL: 'redis://127.0.0.1:1',
      EMAIL_URL: 'smtp://127.0.0.1:1',
      LOG_FORMAT: 'json',
    };
    const admin = async (sql: string) => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(sql);
      await client.end();
    };
    before(() => admin(`create database ${name}`));
    after(() => admin(`drop database if exists ${name} with (force)`));

    test('the deploy audit flags pending migrations until migrate runs', async () => {
      const before = await hoplink(['check', '--deploy', '--json'], env);
      const ids = (run: Run) =>
        (JSON.parse(run.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id);
      assert.ok(ids(before).includes('hoplink.W019'), show(before));

      const applied = await hoplink(['migrate'], env);
      assert.equal(applied.code, 0, show(applied));
      assert.doesNotMatch(applied.stdout + applied.stderr, new RegExp(SECRET_KEY));

      const after = await hoplink(['check', '--deploy', '--json'], env);
      assert.ok(!ids(after).includes('hoplink.W019'), show(after));
      assert.ok(!ids(after).includes('hoplink.I001'), show(after));
      const check = await hoplink(['migrate', '--check'], env);
      assert.equal(check.code, 0, show(check));
    });

    test('a held migration lock: migrate says it waits, once, then completes when released', async () => {
      await admin(`drop database if exists ${name} with (force)`);
      await admin(`create database ${name}`);
      // Advisory locks belong to a database: hold it in the one migrate uses.
      const holder = new pg.Client({ connectionString: url.toString() });
      await holder.connect();
      await holder.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      const migrate = startInProcess(['migrate'], { env });
      let finished = false;
      void migrate.result.finally(() => (finished = true));
      try {
        await until(
          () => migrate.printed().stdout.includes(MIGRATION_LOCK_WAIT) || finished,
          'the waiting line',
          30_000,
        );
        const { stdout, stderr } = migrate.printed();
        assert.equal(finished, false, `migrate did not wait:\n${stdout}\n${stderr}`);
        assert.doesNotMatch(stdout, /applied migration/, 'nothing is applied under another lock');
      } finally {
        await holder.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
        await holder.end();
      }
      const run = await migrate.result;
      assert.equal(run.code, 0, show(run));
      assert.equal(run.stdout.split(MIGRATION_LOCK_WAIT).length - 1, 1, 'said once');
      assert.equal((run.stdout.match(/applied migration/g) ?? []).length, loadMigrations().length);
    });

    test('two concurrent migrate runs apply each migration once', async () => {
      await admin(`drop database if exists ${name} with (force)`);
      await admin(`create database ${name}`);
      const runs = await Promise.all([hoplink(['migrate'], env), hoplink(['migrate'], env)]);
      for (const run of runs) assert.equal(run.code, 0, show(run));
      const appliedLines = runs.map((run) => (run.stdout.match(/applied migration/g) ?? []).length);
      assert.equal(
        appliedLines.reduce((a, b) => a + b, 0),
        loadMigrations().length,
        'each migration applied by exactly one run',
      );
    });
  },
);
